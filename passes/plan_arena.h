// Memory planning: where each activation lives in the one static arena.
#pragma once

#include "../compiler/ir.h"

#include <vector>

namespace tinyc {

struct ArenaBuffer {
  int value_id = -1;       // the value stored here (-1 for a kernel's scratch buffer)
  int scratch_of = -1;     // node index whose kernel uses this scratch buffer
  int64_t size = 0;        // bytes
  int first = 0, last = 0; // node indices of the first write and the last read
  int64_t offset = 0;
};

struct ArenaPlan {
  std::vector<ArenaBuffer> buffers;
  std::vector<int> alias_of; // per value: the value whose storage it shares (views), or itself
  int64_t arena_bytes = 0;
  int64_t naive_bytes = 0; // every buffer separate
  int64_t lower_bound = 0; // largest sum of buffers alive at the same time
  static constexpr int64_t kAlign = 16;
};

// Values in graph inputs/outputs use the caller's buffers; constants live in flash; a view
// (Reshape family) shares its input's buffer. Everything else gets an arena interval.
ArenaPlan plan_arena(const Graph& g);

// True when node n's output is stored in its input's buffer (a view that is not a graph output).
bool is_view_node(const Graph& g, const Node& n);

} // namespace tinyc
