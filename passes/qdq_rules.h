// How lower-qdq turns a float op surrounded by DequantizeLinear/QuantizeLinear into int8 ops.
// The driver (passes/lower_qdq.cpp) finds the pattern around each float node and hands it to
// the rule registered for the node's op type; the rules live beside the int8 ops they create
// (compiler/ops/q*.cpp), registered with TINYC_REGISTER_QDQ_RULE.
#pragma once

#include "../compiler/ir.h"

#include <functional>
#include <string>
#include <vector>

namespace tinyc {

// One input of the float node.
struct QdqInput {
  int value = -1;   // the float value the node reads
  int dq_node = -1; // the DequantizeLinear producing it, -1 when there is none
  int q_value = -1; // that DequantizeLinear's integer input
  DType q_type = DType::Undefined;
  std::vector<float> scale; // one per tensor or one per channel along `axis`
  std::vector<int32_t> zero_point;
  int64_t axis = -1;        // normalised axis of per-channel parameters, -1 per tensor
  bool is_constant = false; // q_value is known at compile time (weights, bias)
  bool quantized() const { return dq_node >= 0; }
};

// One output of the float node: the single QuantizeLinear all its readers go through.
struct QdqOutput {
  int q_node = -1;  // -1 when the output is not quantised
  int q_value = -1; // the QuantizeLinear's result, which the int8 op will produce
  DType q_type = DType::Undefined;
  float scale = 1.0f;
  int32_t zero_point = 0;
  bool quantized() const { return q_node >= 0; }
};

struct QdqMatch {
  std::vector<QdqInput> in;   // per node input (value -1 where omitted)
  std::vector<QdqOutput> out; // per node output
  // Every float input is dequantised per tensor from int8 and every output quantised per
  // tensor to int8: the common precondition of an int8 kernel.
  bool all_int8(bool allow_per_channel_weights = false) const;
};

// Replaces node `n` (in place, or by adding nodes with Graph helpers below) with int8 ops that
// read the inputs' q_value and write the outputs' q_value. Returns false, changing nothing,
// when the node must stay in float. Throws only for malformed models.
using QdqRule = std::function<bool(Graph&, Node&, const QdqMatch&)>;

// `unquantized_output`: the rule also lowers nodes none of whose outputs is quantised (ArgMax
// reading a DequantizeLinear writes int64 indices); the driver otherwise skips such nodes.
void register_qdq_rule(const std::string& op_type, QdqRule rule, bool unquantized_output = false);
const QdqRule* find_qdq_rule(const std::string& op_type);
bool qdq_rule_takes_unquantized_output(const std::string& op_type);

struct QdqRuleRegistrar {
  QdqRuleRegistrar(const char* op_type, QdqRule rule, bool unquantized_output = false) {
    register_qdq_rule(op_type, std::move(rule), unquantized_output);
  }
};
#define TINYC_QDQ_CAT2(a, b) a##b
#define TINYC_QDQ_CAT(a, b) TINYC_QDQ_CAT2(a, b)
#define TINYC_REGISTER_QDQ_RULE(op_type, fn)                                                       \
  static const ::tinyc::QdqRuleRegistrar TINYC_QDQ_CAT(tinyc_qdq_rule_, __LINE__)(op_type, fn)
#define TINYC_REGISTER_QDQ_RULE_UNQUANTIZED_OUTPUT(op_type, fn)                                    \
  static const ::tinyc::QdqRuleRegistrar TINYC_QDQ_CAT(tinyc_qdq_rule_, __LINE__)(op_type, fn, true)

// The output clamp [lo, hi] of an int8 op with a fused activation, in the output's levels;
// false when the activation is not a clamp (LeakyRelu, Sigmoid...).
bool fused_act_range(const FusedAct& act, const QdqOutput& out, int32_t& lo, int32_t& hi);

} // namespace tinyc
