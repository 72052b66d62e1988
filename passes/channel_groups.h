// Which channels of a float graph must be pruned together (docs/pruning.md, "dependency
// rules"). Every channel of every tracked tensor is an "atom"; ops that carry channels through
// (activations, pools, Pad, depthwise Conv, Add/Sub/Mul, Concat, Flatten) join the atoms that
// hold the same data, so one union-find class is one channel to keep or remove everywhere.
// Tensors linked this way form a group; anything the analysis does not understand (a graph
// output, a Transpose, a Softmax...) marks the whole group unprunable.
#pragma once

#include "../compiler/ir.h"

#include <string>
#include <utility>
#include <vector>

namespace tinyc {

struct ChannelGroups {
  // Per value: the channel axis (-1: not tracked), channel count, elements per channel along
  // that axis (1, or H*W after a Flatten), and the atom of channel 0.
  std::vector<int64_t> axis, channels, inner;
  std::vector<int> first_atom;
  std::vector<int> atom_parent, value_parent; // union-finds over atoms and over values
  std::vector<std::string> bad; // per group root: why it cannot be pruned ("" when it can)
  // Conv/Gemm/MatMul with constant weights: their output channels are new (ranked by weight
  // norms). Grouped convolutions other than depthwise are producers too.
  std::vector<int> producers;
  std::vector<int> depthwise; // Conv with group == channels: channel c in, channel c out
  std::vector<int> const_ops; // Add/Sub/Mul with a per-channel constant on a tracked tensor
  std::vector<int> reshapes;  // Reshape acting as a Flatten (its shape input is rewritten)
  // (value, G): a grouped Conv reads or writes this value; every one of its G blocks of
  // channels must lose the same number.
  std::vector<std::pair<int, int64_t>> blocks;
  // Per value: a weight: a float constant, or a DequantizeLinear of constants read by one
  // node only (QDQ models), which pruning slices in place.
  std::vector<bool> weight;

  int atom(int a);  // class root
  int group(int v); // group root of a value
  bool tracked(int v) const { return v >= 0 && size_t(v) < axis.size() && axis[size_t(v)] >= 0; }
  int atom_at(int v, int64_t c) { return atom(first_atom[size_t(v)] + int(c)); }
};

ChannelGroups analyze_channels(const Graph& g);

// A float constant, or a DequantizeLinear of constants.
bool is_constant_weight(const Graph& g, int v);
// The float values of a weight (dequantised when it comes from a DequantizeLinear).
TensorData weight_values(const Graph& g, int v);

// The output-channel axis of a producer's weights: Conv 0, Gemm transB ? 0 : 1, MatMul 1.
int64_t weight_out_axis(const Node& n);
// The activation a node applies on store, at 0 (the value of a removed channel).
float fused_act_at_zero(const FusedAct& a);

// Removes every channel whose class root is marked in `removed` (indexed by atom) from every
// tensor holding it: producer weight rows and biases, depthwise weights, per-channel
// constants, and the matching input channels/columns of the consumers; then re-infers shapes.
void remove_channels(Graph& g, ChannelGroups& cg, const std::vector<bool>& removed);

// Positions along the channel axis of value v that survive.
std::vector<int64_t> kept_channels(ChannelGroups& cg, int v, const std::vector<bool>& removed);

// t with only the indices `keep` along `axis`.
TensorData take_along(const TensorData& t, int64_t axis, const std::vector<int64_t>& keep);

} // namespace tinyc
