// Least-squares reconstruction after structured pruning (docs/pruning.md): a layer that loses
// input channels gets new weights for the channels it keeps, and a new bias, chosen to
// reproduce its original outputs on sample data as closely as possible. Replacing a removed
// channel by its mean is the special case where only the bias moves; here the kept channels
// also take over what they can of the removed ones (channels are correlated).
#pragma once

#include "channel_groups.h"

#include <Eigen/Dense>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace tinyc {

// The Gram matrix X^T X of a layer's input rows on sample data (Conv: one row per output
// position, its receptive field in weight order; Gemm: one row per input row), with a last
// feature of ones standing for the bias.
struct LayerGram {
  Eigen::MatrixXd gram;
  double rows = 0;
};
// Keyed by the layer's output value name.
using LayerGrams = std::map<std::string, LayerGram>;

// Layers that can be reconstructed: Conv (group 1) and Gemm (transA 0, alpha 1, beta 1) with
// float constant weights, a 1-D float bias or none, and at most `max_features` inputs.
LayerGrams measure_layer_grams(const Graph& g, const std::vector<std::vector<TensorData>>& samples,
                               int64_t max_features = 1600);

// Rewrites, before remove_channels, the weights of the kept inputs and the bias of every layer
// in `grams` that loses input channels: ridge regression towards the original weights,
//   min |X_kept w' - X w|^2 + lambda |w' - w_kept|^2,
// solved from the Gram matrix. Returns the output names of the layers rewritten.
std::set<std::string> reconstruct_readers(Graph& g, ChannelGroups& cg,
                                          const std::vector<bool>& removed,
                                          const LayerGrams& grams);

// The same, one layer at a time in graph order, each fit on what it reads once the layers
// before it are pruned and refit (the errors of a chain of layers do not add up), against what
// it read in the unpruned model. Evaluates the graph once per layer on `samples`.
std::set<std::string> refit_in_order(Graph& g, ChannelGroups& cg, const std::vector<bool>& removed,
                                     const LayerGrams& grams,
                                     const std::vector<std::vector<TensorData>>& samples);

} // namespace tinyc
