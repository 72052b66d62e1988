// Float transposed convolution (NCHW, 1-D/2-D/3-D padded to three spatial axes), as a scatter:
// every input element adds x * w into the outputs its kernel taps reach. Outputs start at the
// bias; contributions arrive by input channel, input position, then kernel tap, the
// evaluator's order.
//
// P: N, C (input channels), M (output channels), G, ID/IH/IW, OD/OH/OW, KD/KH/KW,
//    SD/SH/SW, DD/DH/DW, PD/PH/PW (leading pads, may be negative), has_bias.
#pragma once

namespace tk {

template <class P>
void conv_transpose_float(const float* x, const float* w, const float* bias, float* y) {
  constexpr int CG = P::C / P::G, MG = P::M / P::G;
  constexpr int ODHW = P::OD * P::OH * P::OW, IDHW = P::ID * P::IH * P::IW;
  constexpr int KSZ = P::KD * P::KH * P::KW;
  for (int n = 0; n < P::N; ++n)
    for (int oc = 0; oc < P::M; ++oc) {
      float b = 0.0f;
      if constexpr (P::has_bias) b = bias[oc];
      for (int i = 0; i < ODHW; ++i) y[(n * P::M + oc) * ODHW + i] = b;
    }
  for (int n = 0; n < P::N; ++n)
    for (int ic = 0; ic < P::C; ++ic) {
      const float* xc = x + (n * P::C + ic) * IDHW;
      for (int m = 0; m < MG; ++m) {
        const int oc = (ic / CG) * MG + m;
        const float* wk = w + (ic * MG + m) * KSZ;
        float* yo = y + (n * P::M + oc) * ODHW;
        for (int id = 0; id < P::ID; ++id)
          for (int ih = 0; ih < P::IH; ++ih)
            for (int iw = 0; iw < P::IW; ++iw) {
              const float xv = xc[(id * P::IH + ih) * P::IW + iw];
              for (int kd = 0; kd < P::KD; ++kd) {
                const int od = id * P::SD + kd * P::DD - P::PD;
                if (od < 0 || od >= P::OD) continue;
                for (int kh = 0; kh < P::KH; ++kh) {
                  const int oh = ih * P::SH + kh * P::DH - P::PH;
                  if (oh < 0 || oh >= P::OH) continue;
                  for (int kw = 0; kw < P::KW; ++kw) {
                    const int ow = iw * P::SW + kw * P::DW - P::PW;
                    if (ow < 0 || ow >= P::OW) continue;
                    yo[(od * P::OH + oh) * P::OW + ow] += xv * wk[(kd * P::KH + kh) * P::KW + kw];
                  }
                }
              }
            }
      }
    }
}

} // namespace tk
