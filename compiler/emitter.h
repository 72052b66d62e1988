// Writes model.cpp and model.h from a planned graph.
#pragma once

#include "../passes/plan_arena.h"
#include "ir.h"

#include <string>
#include <vector>

namespace tinyc {

struct EmitOptions {
  std::string name;            // symbol prefix: NAME_run, NAME_ARENA_BYTES
  std::string header_file;     // as included by the source, e.g. "model.h"
  std::string model_file;      // for the banner comment only (base name, so output is portable)
  PlanOptions plan;            // memory planning (in place, schedule, I/O in the arena)
  int64_t arena_limit = -1;    // --arena-size: fail when the plan needs more bytes
  bool arena_external = false; // --arena external: the caller provides it (NAME_set_arena)
  bool poison_dead = false;    // checking build: fill each buffer with 0x7F bytes when it dies
};

struct LayerInfo {
  std::string name, op;
  std::vector<Shape> in_shapes;
  Shape out_shape;
  DType out_dtype = DType::F32;
  int64_t macs = 0;
  int64_t weight_bytes = 0; // constant bytes this layer's code introduced
  int node_index = -1;      // in g.nodes (layers are listed in execution order)
  bool inplace = false;     // writes its output over an input
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
