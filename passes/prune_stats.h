// Measurements the prune pass records: per-layer channels, weights and MACs, and totals.
#pragma once

#include "prune.h"

namespace tinyc {

// How pruning names a layer: its node's name, or its output's when the node has none.
std::string layer_name(const Graph& g, const Node& n);

// The layers that hold weights (Conv, Gemm, MatMul with constant float weights), measured now.
std::vector<PrunedLayer> measure_layers(const Graph& g);
// Bytes of the float constants the nodes read, each once.
int64_t weight_bytes(const Graph& g);
// Sum of the nodes' MACs.
int64_t total_macs(const Graph& g);

// The original index of each current output channel of a layer (named by its output value;
// the identity the first time).
std::vector<int64_t>& channel_origin(PruneRecord& rec, const std::string& layer, int64_t channels);

} // namespace tinyc
