// Offset assignment for the arena: buffers with a size and a lifetime get offsets so that two
// buffers alive at the same time never overlap, with the arena (highest end) as small as the
// search finds. Pure interval geometry: knows nothing about graphs.
#pragma once

#include <cstdint>
#include <vector>

namespace tinyc {

struct Interval {
  int64_t size = 0;        // bytes, already a multiple of the alignment
  int first = 0, last = 0; // schedule positions, inclusive
  // Buffers of one group (>= 0) keep fixed offsets relative to each other (`rel`, bytes, a
  // multiple of the alignment, lowest 0) and may overlap each other: an output written over the
  // input it replaces (OpDef::overlap_shift). -1: a buffer of its own.
  int group = -1;
  int64_t rel = 0;
};

inline bool live_together(const Interval& a, const Interval& b) {
  return a.first <= b.last && b.first <= a.last;
}

// Largest sum of sizes alive at one position, a group's buffers alive together counting as
// the span they cover: no placement can do better.
int64_t live_lower_bound(const std::vector<Interval>& bufs);

struct Placement {
  std::vector<int64_t> offsets;
  int64_t arena = 0;
  const char* method = ""; // which ordering / fit rule won (for the report)
};

// Places the buffers one at a time in `order` (a group with its first member in the order),
// each at the lowest offset (first fit) or in the smallest gap it fits (best fit) among the
// buffers already placed that it meets.
Placement place_in_order(const std::vector<Interval>& bufs, const std::vector<int>& order,
                         bool best_fit);

// Greedy placement under several orderings and both fit rules, then a local search over the
// best ordering (deterministic pseudo-random swaps and moves, at most `effort` placements).
// Stops early when the lower bound is reached. Same input, same result.
Placement place_buffers(const std::vector<Interval>& bufs, int effort = 3000);

} // namespace tinyc
