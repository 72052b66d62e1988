// The order in which the QConv kernels of templates/conv_s8.h read their input and write their
// output, replayed on compile-time shapes: what OpDef::overlap_shift needs to let the output
// overlap the input. Must follow the loops of the kernels (tests/unit/test_overlap.cpp runs
// every kernel in place on both code paths against the evaluator).
#pragma once

#include "../overlap_trace.h"
#include "window.h"

namespace tinyc::ops {

enum class QConvKernel { Pointwise, Depthwise, General };

struct QConvGeometry {
  int64_t N = 1, C = 1, M = 1, G = 1;
  QConvKernel kernel = QConvKernel::General;
  Window3 w{};
  // General, one group, one image: per output channel, the pixels its stores are held back
  // (templates/conv_s8.h lag_store); empty: none.
  std::vector<int64_t> lags;
};

// Blocks of one code path (dsp: TK_DSP_PATH) in execution order; elements are int8 bytes.
// Records the reads of output pixel o's window (Conv geometry w) over `channels` input channels,
// the first at element `base`, one image (IDHW elements) apart; padded taps read nothing.
void read_conv_window(AccessTrace& t, const Window3& w, int64_t o, int64_t base, int64_t channels);

AccessTrace qconv_access_trace(const QConvGeometry& q, bool dsp);

// The smallest shift (a multiple of `align` bytes) for which both code paths may write their
// output starting that far before the input, or -1.
int64_t qconv_overlap_shift(const QConvGeometry& q, int64_t align);

// Scratch bytes of the general kernel's lags (rings and vals, templates/conv_s8.h): 0 without.
int64_t qconv_lag_bytes(const QConvGeometry& q);

// The output lags the general kernel should use when its input may die there: for a few
// shifts k, the smallest lag of each channel that makes shift k safe; the choice with the
// smallest input + output span plus lag scratch wins (none when no lag beats the plain kernel).
std::vector<int64_t> qconv_choose_lags(QConvGeometry q, int64_t align);

} // namespace tinyc::ops
