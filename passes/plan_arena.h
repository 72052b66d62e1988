// Memory planning: the execution order of the nodes and where each tensor lives in the one
// static arena.
#pragma once

#include "../compiler/ir.h"

#include <string>
#include <vector>

namespace tinyc {

struct ArenaBuffer {
  int value_id = -1;       // the value that creates this storage (-1 for a kernel's scratch)
  std::vector<int> values; // every value stored here: views and in-place results share it
  int scratch_of = -1;     // node index (in g.nodes) whose kernel uses this scratch buffer
  int64_t size = 0;        // bytes, a multiple of ArenaPlan::kAlign
  int first = 0, last = 0; // schedule positions of the first write and the last read
  int64_t offset = 0;
  // Overlap group (OpDef::overlap_shift): buffers of one group (>= 0, the value id of its first
  // storage) sit at fixed distances (offset - group_offset is the same for all) and may overlap
  // where one's output replaces the other's input. -1: none.
  int group = -1;
  int64_t group_offset = 0;
};

struct PlanOptions {
  bool inplace = true;         // elementwise ops and overlapping kernels (OpDef::overlap_shift)
                               // may write over an input that dies there
  bool schedule = true;        // try memory-aware execution orders (else the graph order)
  bool io_in_arena = false;    // model inputs and outputs get arena space too (copied in/out)
  bool concat_in_place = true; // producers write straight into their slice of a Concat
  int effort = 3000;           // local-search placements for the chosen schedule
};

struct ArenaPlan {
  std::vector<int> order; // execution order: node indices into g.nodes
  std::vector<ArenaBuffer> buffers;
  std::vector<int> alias_of;          // per value: the value whose storage it shares, or itself
  std::vector<int> inplace_of;        // per node: input value it overwrites, or -1
  std::vector<int64_t> overlap_shift; // per node: k of an overlapping output (starts k bytes
                                      // before input 0, OpDef::overlap_shift), or -1
  std::vector<int64_t> alias_offset;  // per value: byte offset inside its storage (the buffer
                                      // of alias_of; the storage's own value included)
  std::vector<char> elided;           // per node: a Concat whose producers wrote its slices
  int64_t arena_bytes = 0;
  int64_t naive_bytes = 0; // every buffer separate
  int64_t lower_bound = 0; // largest sum of buffers (storages, after in-place and overlap
                           // merges) alive at the same time (chosen schedule)
  std::string method;      // which placement won
  bool io_in_arena = false;
  static constexpr int64_t kAlign = 16;
};

// Values in graph inputs/outputs use the caller's buffers (unless opts.io_in_arena);
// constants live in flash; a view (Reshape family) shares its input's buffer; an elementwise
// op may share the buffer of an input that dies there, and an op with OpDef::overlap_shift
// may put its output k bytes before such an input 0, growing that buffer. Everything else gets
// an arena interval.
ArenaPlan plan_arena(const Graph& g, const PlanOptions& opts = {});

// True when node n's output is stored in its input's buffer (a view that is not a graph output).
bool is_view_node(const Graph& g, const Node& n);

} // namespace tinyc
