#!/usr/bin/python3
"""Writes the four MLPerf Tiny reference architectures as float ONNX models with random
weights, for benchmarking float against int8 code on the layer shapes that matter on
microcontrollers. The weights are NOT trained: He-normal convolution/dense weights from a
fixed seed; each BatchNormalization gets the per-channel mean and variance of its input on
a batch of random inputs (as if it had seen data), so activations stay near unit scale
through the network and the softmax outputs are not saturated.

    /usr/bin/python3 models/mlperf_arch/make_models.py        # needs python3-onnx, numpy
    node tools/onnx_reference.js models/kws_dscnn_arch         # ref_out.npy, for each model

writes models/NAME/{model.onnx, calib.npy, test_x.npy, ref_out.npy} for
    kws_dscnn_arch         keyword spotting DS-CNN, input 1x1x49x10 (49 frames x 10 MFCCs):
                           Conv 10x4 stride 2, 64 ch, TF SAME pads (top 4, left 1, bottom 5,
                           right 1), BN, ReLU; 4 x (depthwise 3x3 + BN + ReLU, pointwise 1x1
                           64 + BN + ReLU); AveragePool 25x5; Flatten; Gemm 12; Softmax.
                           2,656,768 MACs in conv/dense (+8,000 in the pool).
    resnet8_arch           image classification ResNet-8, input 1x3x32x32 (pixels 0..255):
                           Conv 3x3 16 + BN + ReLU; three residual stacks of 16/32/64 ch
                           (Conv 3x3 [stride 2 in stacks 2, 3] + BN + ReLU, Conv 3x3 + BN,
                           shortcut = identity or Conv 1x1 stride 2, Add, ReLU);
                           AveragePool 8x8; Flatten; Gemm 10; Softmax. 12,501,632 MACs.
    mobilenet_v1_025_arch  visual wake words MobileNetV1 alpha 0.25, input 1x3x96x96 (0..1):
                           Conv 3x3 stride 2, 8 ch + BN + ReLU; 13 x (depthwise 3x3 + BN +
                           ReLU, pointwise 1x1 + BN + ReLU) with 16, 32/2, 32, 64/2, 64,
                           128/2, 5 x 128, 256/2, 256 channels (/2: stride 2, TF SAME pads
                           bottom/right); AveragePool 3x3; Flatten; Gemm 2; Softmax.
                           7,489,664 MACs.
    fc_autoencoder_arch    anomaly detection autoencoder, input 1x640 (5 frames x 128
                           log-mel bins): Gemm 128 + BN + ReLU (x4), Gemm 8 + BN + ReLU,
                           Gemm 128 + BN + ReLU (x4), Gemm 640. 264,192 MACs, 265,864
                           parameters after BN folding.
The layer lists are those of the trained int8 reference models of MLPerf Tiny v1.x
(mlcommons/tiny, benchmark/training/*); MAC counts are those of their conv/dense layers.

Input name `input`, output name `output`, opset 13, batch 1, NCHW. calib.npy holds random
inputs in a realistic range for calibrating `tinyc --quantize int8` (KWS: MFCC-like,
coefficient 0 strongly negative; images: uniform pixels; autoencoder: log-mel-like);
test_x.npy holds other random inputs of the same kind (for reference outputs and int8 vs
float agreement). Deterministic: the same files every run (fixed seeds).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BN_EPS = 1e-3  # Keras' default


def conv_ref(x, w, b, stride, pads, group):
    """Reference Conv (NCHW, float64): pads = [top, left, bottom, right]."""
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (h + pads[0] + pads[2] - kh) // stride + 1
    ow = (wd + pads[1] + pads[3] - kw) // stride + 1
    out = np.zeros((n, group, m // group, oh, ow))
    wg = w.reshape(group, m // group, cg, kh, kw)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride]
            out += np.einsum("ngchw,gmc->ngmhw", patch.reshape(n, group, cg, oh, ow), wg[:, :, :, i, j])
    return out.reshape(n, m, oh, ow) + b.reshape(1, m, 1, 1)


def same_pads(size, k, stride):
    """TensorFlow SAME padding along one axis: (before, after), the extra pixel after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


class Builder:
    """Builds the ONNX graph and, alongside, runs it in float64 NumPy on a batch of inputs
    (so BatchNormalization can take the statistics of what it will see)."""

    def __init__(self, name, input_shape, x_stats, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.macs = 0
        self.params = 0
        self.input_shape = input_shape
        self.cur = "input"
        self.val = x_stats.astype(np.float64)  # the NumPy activation of self.cur
        self.count = 0

    def fresh(self, kind):
        self.count += 1
        return f"{kind}_{self.count}"

    def init(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, np.float32), name))
        return name

    def conv(self, cout, k, stride=1, pads=None, group=1, src=None):
        src, x = src or (self.cur, self.val)
        cin, h, w = x.shape[1:]
        kh, kw = (k, k) if isinstance(k, int) else k
        if pads is None:  # TF SAME
            (pt, pb), (pl, pr) = same_pads(h, kh, stride), same_pads(w, kw, stride)
            pads = [pt, pl, pb, pr]
        fan_in = (cin // group) * kh * kw
        wt = self.rng.standard_normal((cout, cin // group, kh, kw)) * np.sqrt(2.0 / fan_in)
        b = np.zeros(cout)
        name = self.fresh("dwconv" if group > 1 else "conv")
        out = name + "_out"
        self.nodes.append(helper.make_node(
            "Conv", [src, self.init(name + "_w", wt), self.init(name + "_b", b)], [out], name=name,
            kernel_shape=[kh, kw], strides=[stride, stride], pads=pads, group=group))
        y = conv_ref(x, wt.astype(np.float32).astype(np.float64), b, stride, pads, group)
        self.macs += int(np.prod(y.shape[1:])) * (cin // group) * kh * kw
        self.params += wt.size + b.size
        self.cur, self.val = out, y
        return self

    def dense(self, units, logits=False):
        """logits=True (a classifier's last layer): the bias removes each class's mean over
        the batch and the weights are scaled to a logit spread of about 2, so that the
        predicted class depends on the input (random features share a large common part)."""
        x = self.val
        fan_in = x.shape[1]
        wt = self.rng.standard_normal((units, fan_in)) * np.sqrt(2.0 / fan_in)
        b = np.zeros(units)
        if logits:
            y = x @ wt.T
            wt = wt * (2.0 / max((y - y.mean(axis=0)).std(), 1e-6))
            b = -(x @ wt.T).mean(axis=0)
        name = self.fresh("dense")
        out = name + "_out"
        self.nodes.append(helper.make_node(
            "Gemm", [self.cur, self.init(name + "_w", wt), self.init(name + "_b", b)], [out],
            name=name, transB=1))
        self.macs += units * fan_in
        self.params += wt.size + b.size
        self.cur, self.val = out, x @ wt.astype(np.float32).astype(np.float64).T + \
            b.astype(np.float32).astype(np.float64)
        return self

    def bn(self):
        """BatchNormalization whose running statistics are those of its input on the batch;
        gamma near 1 and a small beta so that channels differ a little."""
        x = self.val
        axes = (0,) + tuple(range(2, x.ndim))
        c = x.shape[1]
        mean, var = x.mean(axis=axes), x.var(axis=axes) + 1e-6
        gamma = 1.0 + 0.1 * self.rng.standard_normal(c)
        beta = 0.1 * self.rng.standard_normal(c)
        name = self.fresh("bn")
        out = name + "_out"
        ins = [self.cur] + [self.init(f"{name}_{p}", v) for p, v in
                            (("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var))]
        self.nodes.append(helper.make_node("BatchNormalization", ins, [out], name=name,
                                           epsilon=BN_EPS))
        f = lambda v: v.astype(np.float32).astype(np.float64).reshape((1, c) + (1,) * (x.ndim - 2))
        self.cur, self.val = out, (x - f(mean)) / np.sqrt(f(var) + BN_EPS) * f(gamma) + f(beta)
        return self

    def relu(self):
        name = self.fresh("relu")
        self.nodes.append(helper.make_node("Relu", [self.cur], [name + "_out"], name=name))
        self.cur, self.val = name + "_out", np.maximum(self.val, 0)
        return self

    def add(self, other):
        name = self.fresh("add")
        self.nodes.append(helper.make_node("Add", [self.cur, other[0]], [name + "_out"], name=name))
        self.cur, self.val = name + "_out", self.val + other[1]
        return self

    def avgpool(self, k):
        name = self.fresh("avgpool")
        x = self.val
        self.nodes.append(helper.make_node("AveragePool", [self.cur], [name + "_out"], name=name,
                                           kernel_shape=list(k), strides=list(k)))
        n, c, h, w = x.shape
        oh, ow = h // k[0], w // k[1]
        y = x[:, :, :oh * k[0], :ow * k[1]].reshape(n, c, oh, k[0], ow, k[1]).mean(axis=(3, 5))
        self.cur, self.val = name + "_out", y
        return self

    def flatten(self):
        name = self.fresh("flatten")
        self.nodes.append(helper.make_node("Flatten", [self.cur], [name + "_out"], name=name, axis=1))
        self.cur, self.val = name + "_out", self.val.reshape(self.val.shape[0], -1)
        return self

    def softmax(self):
        self.nodes.append(helper.make_node("Softmax", [self.cur], ["output"], name="softmax", axis=-1))
        e = np.exp(self.val - self.val.max(axis=1, keepdims=True))
        self.cur, self.val = "output", e / e.sum(axis=1, keepdims=True)
        return self

    def finish(self):
        """Names the last value `output` (when no Softmax did) and returns the ModelProto."""
        if self.cur != "output":
            self.nodes[-1].output[0] = "output"
            self.cur = "output"
        g = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(self.input_shape))],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1] + list(self.val.shape[1:]))],
            self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="tinyc models/mlperf_arch/make_models.py")
        m.ir_version = 7
        onnx.checker.check_model(m)
        return m


# ---- input distributions --------------------------------------------------------------


def kws_inputs(rng, n):
    """MFCC-like 49x10 frames: coefficient 0 (log energy) strongly negative, the others
    smaller around 0, clipped to the range of MLPerf Tiny's KWS input (-123.4 .. 25.7)."""
    mu = np.array([-60.0] + [0.0] * 9)
    sd = np.array([20.0, 12.0, 9.0, 7.0, 6.0, 5.0, 4.0, 4.0, 3.0, 3.0])
    x = mu + sd * rng.standard_normal((n, 1, 49, 10))
    return np.clip(x, -123.4, 25.7).astype(np.float32)


def image_inputs(rng, n, size, top):
    """Images with some spatial structure: a smooth random field plus pixel noise, in
    [0, top] (ResNet-8 takes raw pixels 0..255, the VWW MobileNet 0..1)."""
    coarse = rng.uniform(0, 1, (n, 3, size // 8 + 1, size // 8 + 1))
    smooth = np.repeat(np.repeat(coarse, 8, axis=2), 8, axis=3)[:, :, :size, :size]
    x = 0.7 * smooth + 0.3 * rng.uniform(0, 1, (n, 3, size, size))
    return (np.round(x * 255.0) / 255.0 * top).astype(np.float32)


def logmel_inputs(rng, n):
    """Log-mel-like 5 x 128 frames within the AD model's input range (-84.9 .. 14.9)."""
    band = np.linspace(-20.0, -50.0, 128)  # energy falls with frequency
    x = band + 8.0 * rng.standard_normal((n, 5, 128))
    return np.clip(x, -84.9, 14.9).reshape(n, 640).astype(np.float32)


# ---- the architectures ----------------------------------------------------------------


def kws_dscnn(x):
    b = Builder("kws_dscnn_arch", (1, 1, 49, 10), x, seed=101)
    b.conv(64, (10, 4), stride=2).bn().relu()  # SAME: pads top 4, left 1, bottom 5, right 1
    for _ in range(4):
        b.conv(64, 3, group=64).bn().relu()
        b.conv(64, 1).bn().relu()
    return b.avgpool((25, 5)).flatten().dense(12, logits=True).softmax()


def resnet8(x):
    b = Builder("resnet8_arch", (1, 3, 32, 32), x, seed=102)
    b.conv(16, 3).bn().relu()
    for filters, stride in ((16, 1), (32, 2), (64, 2)):
        skip = (b.cur, b.val)
        b.conv(filters, 3, stride=stride).bn().relu()
        b.conv(filters, 3).bn()
        main = (b.cur, b.val)
        if stride != 1:  # projection shortcut, no BN (as in MLPerf Tiny's resnet8)
            b.cur, b.val = skip
            b.conv(filters, 1, stride=stride)
            skip = (b.cur, b.val)
            b.cur, b.val = main
        b.add(skip).relu()
    return b.avgpool((8, 8)).flatten().dense(10, logits=True).softmax()


def mobilenet_v1_025(x):
    b = Builder("mobilenet_v1_025_arch", (1, 3, 96, 96), x, seed=103)
    b.conv(8, 3, stride=2).bn().relu()
    blocks = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)] + [(128, 1)] * 5 + \
             [(256, 2), (256, 1)]
    for cout, stride in blocks:
        cin = b.val.shape[1]
        b.conv(cin, 3, stride=stride, group=cin).bn().relu()
        b.conv(cout, 1).bn().relu()
    return b.avgpool((3, 3)).flatten().dense(2, logits=True).softmax()


def fc_autoencoder(x):
    b = Builder("fc_autoencoder_arch", (1, 640), x, seed=104)
    for units in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        b.dense(units).bn().relu()
    return b.dense(640)


# name: (builder, inputs(rng, n), calib samples, test samples, expected conv/dense MACs)
SPECS = {
    "kws_dscnn_arch": (kws_dscnn, kws_inputs, 32, 8, 2656768),
    "resnet8_arch": (resnet8, lambda r, n: image_inputs(r, n, 32, 255.0), 8, 4, 12501632),
    "mobilenet_v1_025_arch": (mobilenet_v1_025, lambda r, n: image_inputs(r, n, 96, 1.0), 2, 2,
                              7489664),
    "fc_autoencoder_arch": (fc_autoencoder, logmel_inputs, 32, 8, 264192),
}
STATS_SAMPLES = 16  # random inputs (not saved) whose statistics the BN layers take


def main():
    only = sys.argv[1:]
    for i, (name, (build, inputs, n_calib, n_test, macs)) in enumerate(SPECS.items()):
        if only and name not in only:
            continue
        rng = np.random.default_rng(2026 + i)
        stats, calib, test = (inputs(rng, n) for n in (STATS_SAMPLES, n_calib, n_test))
        b = build(stats)
        if b.macs != macs:
            sys.exit(f"{name}: {b.macs} MACs, the reference architecture has {macs}")
        out = os.path.join(MODELS, name)
        os.makedirs(out, exist_ok=True)
        onnx.save(b.finish(), os.path.join(out, "model.onnx"))
        np.save(os.path.join(out, "calib.npy"), calib)
        np.save(os.path.join(out, "test_x.npy"), test)
        s = b.val
        print(f"{name}: {b.macs:,} MACs, {b.params:,} parameters (+BN), output {list(s.shape[1:])}, "
              f"calib {calib.shape}, test {test.shape}; on the statistics batch: output "
              f"mean {s.mean():.3g}, std {s.std():.3g}"
              + (f", top-1 classes used {len(set(s.argmax(1)))}" if name != "fc_autoencoder_arch" else ""))


if __name__ == "__main__":
    main()
