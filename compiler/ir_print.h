// Human-readable IR listing for --dump-ir.
#pragma once

#include "ir.h"

#include <string>

namespace tinyc {
std::string print_ir(const Graph& g);
}
