// Reads an ONNX file into the IR: checker, shape inference, static shapes fixed.
#pragma once

#include "ir.h"

#include <map>
#include <string>

namespace tinyc {

struct ImportOptions {
  // Dimensions for inputs whose shape is symbolic or dynamic: name -> shape.
  std::map<std::string, Shape> input_shapes;
  // Inputs replaced by constants (their values decide shapes, e.g. a Reshape target).
  std::map<std::string, TensorData> frozen_inputs;
};

Graph import_onnx(const std::string& path, const ImportOptions& opts);

// Parses "1x3x32x32" ("scalar" or "" for rank 0); throws CompileError on bad syntax.
Shape parse_shape(const std::string& text);

// Reads a serialized onnx TensorProto (.pb), as the ONNX backend test data stores them.
TensorData read_tensor_pb(const std::string& path);

} // namespace tinyc
