// Data-driven structured pruning (docs/pruning.md): what the layers reading a channel see of
// it on sample data. A channel's importance is the error its removal causes in those layers,
// and a removed channel is replaced by its mean, added to their biases.
#pragma once

#include "channel_groups.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace tinyc {

// Mean and variance of each input feature of a layer (Conv: channel, over all positions;
// Gemm/MatMul: column of the input matrix), over sample data.
struct FeatureStats {
  std::vector<double> mean, var;
};
// Keyed by the name of the layer's data input (input 0 of a Conv/Gemm/MatMul with constant
// weights).
using InputStats = std::map<std::string, FeatureStats>;

InputStats measure_input_stats(const Graph& g, const std::vector<std::vector<TensorData>>& samples);

// Per channel class: sum over the layers reading it of var(feature) * sum of the squared
// weights applied to the feature (the expected squared change of their outputs when the
// channel is replaced by its mean).
std::map<int, double> data_scores(const Graph& g, ChannelGroups& cg, const InputStats& stats);

// Adds mean(feature) * weights of every removed class to the biases of the Conv/Gemm layers
// reading it (before remove_channels). Returns the number of classes compensated.
// Layers whose output name is in `skip` are left alone.
int compensate_with_means(Graph& g, ChannelGroups& cg, const std::vector<bool>& removed,
                          const InputStats& stats, const std::set<std::string>& skip = {});

} // namespace tinyc
