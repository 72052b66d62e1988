// Candidate execution orders for memory planning: any topological order computes the same
// results, but on graphs with branches (residual adds, concatenations, multi-output nodes)
// the order decides how many tensors are alive at once.
#pragma once

#include <cstdint>
#include <vector>

namespace tinyc {

// What the scheduler needs to know about each node, in graph (topological) order.
struct ScheduleNode {
  std::vector<int> preds;                       // nodes whose outputs it reads
  std::vector<int> reads;                       // storage roots it reads
  std::vector<std::pair<int, int64_t>> creates; // storage roots it creates, arena bytes
  int64_t scratch = 0;                          // arena bytes needed while it runs
};

// The graph order first, then greedy memory-aware orders (frees most first, lowest running
// peak first, depth first); duplicates removed. Deterministic.
std::vector<std::vector<int>> candidate_schedules(const std::vector<ScheduleNode>& nodes);

} // namespace tinyc
