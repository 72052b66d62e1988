// Helpers shared by the op files: output typing, broadcasting, constant inputs, dtype dispatch.
#pragma once

#include "../diagnostics.h"
#include "../emit_context.h"
#include "../ir.h"
#include "../op_registry.h"

#include <cstdint>
#include <vector>

namespace tinyc::ops {

// Input k of node n (must be present).
const Value& input(const Graph& g, const Node& n, size_t k);
// Number of inputs actually given (omitted trailing optionals do not count).
size_t input_count(const Node& n);
// Sets output k's dtype and shape.
void set_output(Graph& g, const Node& n, size_t k, DType t, const Shape& s);
// The value of input k, which must be known at compile time. A model input in that place
// raises NeedsConstantInput (the user can freeze it); anything else a CompileError.
const TensorData& const_input(const Graph& g, const Node& n, size_t k, const char* what);
// Reports a value that decides a shape but is computed at run time.
[[noreturn]] void fail_runtime_value(const Node& n, const char* what, const std::string& value);
// Whether input k is present and known at compile time.
bool has_const_input(const Graph& g, const Node& n, size_t k);

// Numpy-style broadcast of two shapes; throws naming the node when incompatible.
Shape broadcast(const Node& n, const Shape& a, const Shape& b);
// Row-major element strides.
std::vector<int64_t> strides_of(const Shape& s);
// Strides to read `in` while walking `out` (same rank as out, 0 on broadcast dims).
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);
// Axis in [-rank, rank) -> [0, rank); throws naming the node when out of range.
int64_t normalize_axis(const Node& n, int64_t axis, int64_t rank);

// Requires the dtype of input k to be one of `allowed`.
void require_dtype(const Graph& g, const Node& n, size_t k, std::initializer_list<DType> allowed);

// Adds act/act_a/act_b members describing node.act (see templates/activation.h).
void add_act(Params& p, const FusedAct& act);

template <class T> constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>)
    return DType::F32;
  else if constexpr (std::is_same_v<T, double>)
    return DType::F64;
  else if constexpr (std::is_same_v<T, int8_t>)
    return DType::I8;
  else if constexpr (std::is_same_v<T, uint8_t>)
    return DType::U8;
  else if constexpr (std::is_same_v<T, int16_t>)
    return DType::I16;
  else if constexpr (std::is_same_v<T, uint16_t>)
    return DType::U16;
  else if constexpr (std::is_same_v<T, int32_t>)
    return DType::I32;
  else if constexpr (std::is_same_v<T, uint32_t>)
    return DType::U32;
  else if constexpr (std::is_same_v<T, int64_t>)
    return DType::I64;
  else if constexpr (std::is_same_v<T, uint64_t>)
    return DType::U64;
  else if constexpr (std::is_same_v<T, bool>)
    return DType::Bool;
  else
    return DType::Undefined;
}

// The common dtype sets.
inline constexpr std::initializer_list<DType> kFloatTypes = {DType::F32, DType::F64};
inline constexpr std::initializer_list<DType> kNumericTypes = {
    DType::F32, DType::F64, DType::I8,  DType::U8,  DType::I16,
    DType::U16, DType::I32, DType::U32, DType::I64, DType::U64};

// Emits a plain copy of input 0 into output 0 (views that must materialise, Identity).
void emit_copy(EmitContext& ctx, const Node& n);

} // namespace tinyc::ops
