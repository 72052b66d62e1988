#pragma once
namespace tinyc {
inline constexpr const char* kTinycVersion = "0.1.0";
}
