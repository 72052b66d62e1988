#include "overlap_trace.h"

#include <algorithm>

namespace tinyc {

namespace {

// One trace at byte granularity: the last-read block of each read input byte, the write block
// of each output byte.
struct ByteTrace {
  std::vector<int64_t> read_bytes; // input bytes read at all, ascending
  std::vector<int32_t> rd, wr;
};

} // namespace

int64_t min_overlap_shift(const std::vector<AccessTrace>& traces, int64_t in_bytes,
                          int64_t out_bytes, int64_t align) {
  if (traces.empty() || in_bytes <= 0 || out_bytes <= 0 || align <= 0) return -1;
  const int64_t nout = int64_t(traces[0].written.size()) * out_bytes;
  std::vector<ByteTrace> bt;
  for (const AccessTrace& t : traces) {
    if (t.written.size() != traces[0].written.size()) return -1;
    for (int32_t w : t.written)
      if (w < 0) return -1; // an output element the replay missed: trust nothing
    ByteTrace b;
    const int64_t nin = int64_t(t.last_read.size()) * in_bytes;
    b.rd.resize(size_t(nin));
    b.wr.resize(size_t(nout));
    for (int64_t i = 0; i < nin; ++i) {
      b.rd[size_t(i)] = t.last_read[size_t(i / in_bytes)];
      if (b.rd[size_t(i)] >= 0) b.read_bytes.push_back(i);
    }
    for (int64_t j = 0; j < nout; ++j) b.wr[size_t(j)] = t.written[size_t(j / out_bytes)];
    bt.push_back(std::move(b));
  }
  // Output byte a + k lands on input byte a. A cap on the work keeps compile time bounded on
  // huge layers (the answer is then "no overlap", which is always safe).
  int64_t budget = int64_t(1) << 27;
  for (int64_t k = 0; k < nout; k += align) {
    bool ok = true;
    for (size_t t = 0; t < bt.size() && ok; ++t)
      for (int64_t a : bt[t].read_bytes) {
        if (a + k >= nout) break;
        if (--budget < 0) return -1;
        if (bt[t].wr[size_t(a + k)] < bt[t].rd[size_t(a)]) {
          ok = false;
          break;
        }
      }
    if (ok) return k;
  }
  return -1;
}

} // namespace tinyc
