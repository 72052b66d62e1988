#!/usr/bin/python3
"""Compares the calibration methods of `tinyc --quantize int8` on the example models: top-1 of
the int8 and the float model, top-1 agreement, SNR and max error of int8 vs float outputs, as
tinyc measures them (--val, --report).

    tools/quant_methods.py --tinyc build/tinyc [--all-ops] [--calib-count N]
        [--val MODEL=X.npy,Y.npy ...]

Calibration: models/MODEL/calib.npy (training samples; the first N with --calib-count).
Validation: the committed held-out samples (models/MODEL/test_x.npy, test_y.npy) unless --val
names larger sets. --all-ops passes --quantize-all-ops (every op of the int8 specification
between QDQ pairs, the accuracy a full int8 deployment will have).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["mnist_cnn", "ds_cnn_fashion"]
METHODS = ["minmax", "percentile", "mse"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tinyc", required=True)
    ap.add_argument("--all-ops", action="store_true")
    ap.add_argument("--calib-count", type=int, default=0)
    ap.add_argument("--val", action="append", default=[], help="MODEL=X.npy,Y.npy")
    a = ap.parse_args()
    val = {}
    for v in a.val:
        m, files = v.split("=", 1)
        val[m] = files.split(",")
    work = tempfile.mkdtemp(prefix="tinyc-quant-methods-")
    print(f"{'model':<16} {'method':<11} {'samples':>7} {'top-1 float':>11} {'top-1 int8':>10} "
          f"{'agree':>7} {'SNR dB':>7} {'max err':>8}")
    for model in MODELS:
        d = os.path.join(ROOT, "models", model)
        calib = os.path.join(d, "calib.npy")
        if a.calib_count:
            calib = os.path.join(work, f"{model}_calib.npy")
            np.save(calib, np.load(os.path.join(d, "calib.npy"))[:a.calib_count])
        vx, vy = val.get(model, [os.path.join(d, "test_x.npy"), os.path.join(d, "test_y.npy")])
        for method in METHODS:
            rep = os.path.join(work, f"{model}_{method}.json")
            cmd = [a.tinyc, os.path.join(d, "model.onnx"), "-o", os.path.join(work, "m.cpp"),
                   "-q", "--quantize", "int8", "--calib", calib, "--calib-method", method,
                   "--val", vx, vy, "--report", rep] + (["--quantize-all-ops"] if a.all_ops else [])
            subprocess.run(cmd, check=True)
            acc = json.load(open(rep))["quantization"]["accuracy"]
            snr = "exact" if acc["snr_db"] is None else f"{acc['snr_db']:.1f}"
            print(f"{model:<16} {method:<11} {acc['samples']:>7} {100 * acc['top1_float']:>10.2f}% "
                  f"{100 * acc['top1_int8']:>9.2f}% {100 * acc['top1_agreement']:>6.2f}% "
                  f"{snr:>7} {acc['max_abs_error']:>8.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
