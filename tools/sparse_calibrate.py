#!/usr/bin/python3
"""Measures the int8 dense and sparse kernels of single layers on Cortex-M4 (QEMU), to fit the
instruction model of compiler/ops/sparse_kernel.cpp (docs/sparse_kernels.md).

    tools/sparse_calibrate.py --tinyc build/tinyc [--work DIR]

Each layer is a one-node float ONNX model (Gemm or Conv, random weights) compiled with
`--prune S --prune-method unstructured --prune-scope layer --quantize int8 --io int8` (so the
model is the one int8 kernel; float layers without the quantisation) with
--sparse-kernels never and always. Prints, per layer and
sparsity, measured instructions (minus those of an empty run) and the cost model's estimates
from the --report. Exit 77 when QEMU or the Arm toolchain is missing.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import run_cortexm  # noqa: E402

# (name, kind, shape): gemm (K, M); conv (C, H, W, M, k, stride, pad)
LAYERS = [
    ("gemm 256x64", "gemm", (256, 64)),
    ("gemm 1568x32", "gemm", (1568, 32)),
    ("float gemm 256x64", "gemm_f32", (256, 64)),
    ("float gemm 1568x32", "gemm_f32", (1568, 32)),
    ("float conv1x1 32->32 10x10", "conv_f32", (32, 10, 10, 32, 1, 1, 0)),
    ("float conv3x3 8->16 12x12", "conv_f32", (8, 12, 12, 16, 3, 1, 1)),
    ("conv1x1 32->32 10x10", "conv", (32, 10, 10, 32, 1, 1, 0)),
    ("conv3x3 8->16 12x12", "conv", (8, 12, 12, 16, 3, 1, 1)),
    ("conv3x3 16->32 s2 10x10", "conv", (16, 10, 10, 32, 3, 2, 1)),
]
SPARSITIES = [0.0, 0.5, 0.8, 0.9, 0.95]


def layer_model(kind, shape, path):
    rng = np.random.default_rng(1)
    if kind in ("gemm", "gemm_f32"):
        K, M = shape
        w = rng.standard_normal((M, K)).astype(np.float32) / np.sqrt(K)
        b = rng.standard_normal(M).astype(np.float32) * 0.1
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, K])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, M])
        node = helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1, name="layer")
        xshape = (1, K)
    else:
        C, H, W, M, k, s, p = shape
        w = rng.standard_normal((M, C, k, k)).astype(np.float32) / np.sqrt(C * k * k)
        b = rng.standard_normal(M).astype(np.float32) * 0.1
        oh, ow = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, C, H, W])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, M, oh, ow])
        node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[k, k],
                                strides=[s, s], pads=[p] * 4, name="layer")
        xshape = (1, C, H, W)
    g = helper.make_graph([node], "layer", [x], [y],
                          [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(m, path)
    return xshape


def measure(tinyc, work, kind, shape, sparsity, mode):
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "m.onnx")
    xshape = layer_model(kind, shape, model)
    calib = os.path.join(work, "calib.npy")
    np.save(calib, np.random.default_rng(2).standard_normal((8,) + xshape[1:]).astype(np.float32))
    out = os.path.join(work, f"m_{mode}.cpp")
    rep = os.path.join(work, f"m_{mode}.json")
    args = [tinyc, model, "-o", out, "-q", "--sparse-kernels", mode, "--report", rep]
    if not kind.endswith("_f32"):
        args += ["--quantize", "int8", "--calib", calib, "--io", "int8"]
    if sparsity > 0:
        args += ["--prune", str(sparsity), "--prune-method", "unstructured", "--prune-scope", "layer"]
    subprocess.run(args, check=True)
    x = np.random.default_rng(3).integers(-128, 128, xshape, dtype=np.int8)
    if kind.endswith("_f32"):
        x = np.random.default_rng(3).standard_normal(xshape).astype(np.float32)
    xin = os.path.join(work, "x.npy")
    np.save(xin, x)
    r = run_cortexm.build_and_run(out, [np.load(xin)], target="m4", count=1,
                                  work=os.path.join(work, f"m4_{mode}"))
    layers = [l for l in json.load(open(rep))["layers"] if "kernel" in l]
    return r["instructions"][0], layers[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tinyc", default=os.path.join(ROOT, "build", "tinyc"))
    ap.add_argument("--work", default="/tmp/sparse_calibrate")
    a = ap.parse_args()
    for tool in ["qemu-system-arm", "arm-none-eabi-g++"]:
        if not shutil.which(tool):
            print(f"SKIP: {tool} not found")
            return 77
    print(f"{'layer':<26} {'sparsity':>8} {'dense':>9} {'est':>9} {'sparse':>9} {'est':>9}"
          f" {'bytes d':>8} {'bytes s':>8}")
    for name, kind, shape in LAYERS:
        for s in SPARSITIES:
            d, ld = measure(a.tinyc, a.work, kind, shape, s, "never")
            sp, ls = measure(a.tinyc, a.work, kind, shape, s, "always")
            est = ld["estimated_instructions"]
            print(f"{name:<26} {s:>8.2f} {d:>9} {est['dense']:>9} {sp:>9} {est['sparse']:>9}"
                  f" {ld['kernel_bytes']['dense']:>8} {ld['kernel_bytes']['sparse']:>8}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
