// Helpers shared by the data-movement, indexing and reduction op files: affine copies
// (templates/strided_copy.h), separable index maps (templates/index_map.h), element literals
// and compile-time parameter inputs.
#pragma once

#include "op_util.h"

#include <functional>

namespace tinyc::ops {

// y[sy . i + y_off] = x[sx . i + x_off] over the index box `out` (element strides).
struct StridedCopy {
  Shape out;
  std::vector<int64_t> sx, sy;
  int64_t x_off = 0, y_off = 0;
};

// Merges dims that walk both tensors contiguously and drops size-1 dims (fewer loops).
StridedCopy coalesce(StridedCopy c);
// Reference: the copy on host tensors (any dtype, byte-wise).
void strided_eval(const StridedCopy& c, const TensorData& x, TensorData& y);
// Emits tk::strided_copy (or memcpy when both sides are contiguous).
void emit_strided(EmitContext& ctx, const StridedCopy& c, const std::string& x,
                  const std::string& y, DType t);

// out[i] = x[sum_d map[d][i_d] * sx[d]], or fill where any map entry is -1.
struct IndexMap {
  Shape out;
  std::vector<int64_t> sx;
  std::vector<std::vector<int64_t>> map;
};
void index_map_eval(const IndexMap& m, const TensorData& x, const TensorData* fill, TensorData& y);
// fill_literal: a C expression of the element type.
void emit_index_map(EmitContext& ctx, const IndexMap& m, int x_id, int y_id,
                    const std::string& fill_literal);

// A C literal of type t holding element i of tensor v (or 0 when v is null).
std::string element_literal(DType t, const TensorData* v, int64_t i = 0);

// Constant inputs that parametrise an op (shapes, axes, bounds): in infer/emit they are
// graph constants, in eval the evaluated inputs. Returns nullptr for an omitted input.
using ConstArg = std::function<const TensorData*(size_t k)>;
ConstArg graph_args(const Graph& g, const Node& n, const char* what);
ConstArg eval_args(const Inputs& in);

// Requires inputs ks (where present) to be known at compile time, naming every model input
// among them in one --freeze-input hint.
void require_const_inputs(const Graph& g, const Node& n, const std::vector<size_t>& ks,
                          const char* what);

// Shape of the given output of n after infer; eval recomputes through this helper.
int64_t elem_count(const Shape& s);

} // namespace tinyc::ops
