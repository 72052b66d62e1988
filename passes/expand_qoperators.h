// QOperator-format quantised ops (QLinearConv, QLinearMatMul and onnxruntime's com.microsoft
// QLinear* ops) written as DequantizeLinear -> float op -> QuantizeLinear, the QDQ form that
// lower-qdq and the int8 kernels understand. The pass expand-qoperators rewrites the graph;
// the ops' own infer/eval (compiler/ops/qlinear_ops.cpp) run the same expansion on a scratch
// graph, so there is one definition of their semantics.
#pragma once

#include "../compiler/ir.h"

#include <vector>

namespace tinyc {

// Whether node n is one of the QOperator ops expand_qoperator rewrites.
bool is_qoperator(const Node& n);

// The nodes, in order, that compute n's outputs in QDQ form. Adds the intermediate float
// values and the constants they need to g (their shapes are set when the nodes' infer runs).
// Throws a "not supported" CompileError for layouts tinyc does not handle (channels_last,
// per-row scales of a batched QLinearMatMul).
std::vector<Node> expand_qoperator(Graph& g, const Node& n);

} // namespace tinyc
