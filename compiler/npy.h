// A small reader for NumPy .npy files (format versions 1 to 3, little-endian, C order): the
// calibration and validation data of --quantize int8 come in this format.
#pragma once

#include "ir.h"

#include <string>

namespace tinyc {

// Reads an .npy file into a tensor of its own dtype and shape. Throws CompileError with a
// one-line message for a missing file, a file that is not .npy, or a layout tinyc cannot read
// (Fortran order, big-endian, object or structured dtypes).
TensorData read_npy(const std::string& path);

// Parses the bytes of an .npy file; `what` names it in messages.
TensorData parse_npy(const std::string& bytes, const std::string& what);

// read_npy with `what` naming the file in messages (e.g. "--calib 'x.npy'").
TensorData parse_npy_file(const std::string& path, const std::string& what);

} // namespace tinyc
