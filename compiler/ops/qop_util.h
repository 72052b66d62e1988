// Helpers shared by the int8 ops of domain "tinyc" (qbinary.cpp, qpool.cpp, qlut.cpp,
// qsoftmax.cpp, qconcat.cpp): attributes that carry quantisation parameters, and the checks
// their QDQ rules make before rewriting a node.
#pragma once

#include "op_util.h"

#include "../../passes/qdq_rules.h"
#include "../quant.h"

#include <string>
#include <vector>

namespace tinyc::ops {

inline void set_attr_i(Node& n, const std::string& k, int64_t v) {
  Attr a;
  a.kind = AttrKind::Int;
  a.i = v;
  n.attrs[k] = a;
}
inline void set_attr_f(Node& n, const std::string& k, float v) {
  Attr a;
  a.kind = AttrKind::Float;
  a.f = v;
  n.attrs[k] = a;
}
inline void set_attr_ints(Node& n, const std::string& k, std::vector<int64_t> v) {
  Attr a;
  a.kind = AttrKind::Ints;
  a.ints = std::move(v);
  n.attrs[k] = a;
}
inline void set_attr_floats(Node& n, const std::string& k, std::vector<float> v) {
  Attr a;
  a.kind = AttrKind::Floats;
  a.floats = std::move(v);
  n.attrs[k] = a;
}

// A required attribute of an int8 op (they are written by lower-qdq, never by users).
inline int64_t req_i(const Node& n, const char* k) {
  if (!n.has_attr(k)) fail("node {}: attribute {} is missing", n.label(), k);
  return n.attr_i(k, 0);
}
inline float req_f(const Node& n, const char* k) {
  if (!n.has_attr(k)) fail("node {}: attribute {} is missing", n.label(), k);
  return n.attr_f(k, 0.0f);
}

// The exact multiplier of s, or a "not supported" error naming the node.
inline Multiplier multiplier_of(const Node& n, float s, const char* what) {
  auto m = exact_multiplier(s);
  if (!m) fail("node {}: {} scale {} is not supported", n.label(), what, s);
  return *m;
}

// The output clamp [act_lo, act_hi] (the whole int8 range when absent).
inline void act_range(const Node& n, int32_t& lo, int32_t& hi) {
  lo = int32_t(n.attr_i("act_lo", -128));
  hi = int32_t(n.attr_i("act_hi", 127));
  if (lo < -128 || hi > 127 || lo > hi) fail("node {}: bad output clamp", n.label());
}

// A per-tensor int8 activation input (not a constant, not per channel).
inline bool int8_activation(const QdqInput& in) {
  return in.quantized() && in.axis < 0 && in.q_type == DType::I8 && !in.is_constant;
}

// Rewrites n into the int8 op `op` reading `inputs` and writing the quantised output 0.
inline void become(Node& n, const char* op, std::vector<int> inputs, const QdqMatch& m) {
  n.op_type = op;
  n.domain = "tinyc";
  n.inputs = std::move(inputs);
  n.outputs = {m.out[0].q_value};
  n.act = FusedAct{};
}

} // namespace tinyc::ops
