// Writes model.cpp and model.h from a planned graph.
#pragma once

#include "../passes/plan_arena.h"
#include "ir.h"

#include <string>
#include <vector>

namespace tinyc {

struct EmitOptions {
  std::string name;        // symbol prefix: NAME_run, NAME_ARENA_BYTES
  std::string header_file; // as included by the source, e.g. "model.h"
  std::string model_file;  // for the banner comment only (base name, so output is portable)
};

struct LayerInfo {
  std::string name, op;
  std::vector<Shape> in_shapes;
  Shape out_shape;
  DType out_dtype = DType::F32;
  int64_t macs = 0;
  int64_t weight_bytes = 0; // constant bytes this layer's code introduced
};

struct EmittedModel {
  std::string source, header;
  ArenaPlan plan;
  int64_t weight_bytes = 0;
  int64_t macs = 0;
  std::vector<LayerInfo> layers;
};

EmittedModel emit_model(const Graph& g, const EmitOptions& opts);

// A C identifier made from arbitrary text ("my-model.v2" -> "my_model_v2").
std::string c_identifier(const std::string& text);

} // namespace tinyc
