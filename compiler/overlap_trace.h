// In-place overlap of a kernel's output with its input, derived from the kernel's access order.
// A kernel runs in blocks (a channel plane, a pair of pixels, ...): each block reads some
// input elements, then writes some output elements. An emitter's OpDef::overlap_shift replays
// that order on the node's compile-time shapes into an AccessTrace; min_overlap_shift then finds
// how far before the input the output must start so that no input byte is overwritten before
// its last read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tinyc {

struct AccessTrace {
  AccessTrace(int64_t in_elems, int64_t out_elems)
      : last_read(std::size_t(in_elems), -1), written(std::size_t(out_elems), -1) {}
  std::vector<int32_t> last_read; // per input element: the last block that reads it, -1: never
  std::vector<int32_t> written;   // per output element: the block that writes it
  int32_t block = 0;              // the current block
  void read(int64_t i) { last_read[std::size_t(i)] = block; }
  void write(int64_t j) { written[std::size_t(j)] = block; }
  void next_block() { ++block; }
};

// The smallest shift k >= 0, a multiple of `align`, such that for every trace (the code paths
// of one kernel, same element counts) the output may start k bytes before the input (input element
// size in_bytes, output element size out_bytes): every output byte that lands on an input byte is
// written in a block no earlier than that byte's last read (within a block all reads come before
// all writes). Returns -1 when only k >= the output's size works (no overlap at all), or when every
// output element is not written exactly once, or when the search would take too long.
int64_t min_overlap_shift(const std::vector<AccessTrace>& traces, int64_t in_bytes,
                          int64_t out_bytes, int64_t align);

} // namespace tinyc
