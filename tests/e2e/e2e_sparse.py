#!/usr/bin/python3
"""End-to-end test of the sparse int8 kernels (templates/sparse_s8.h) on one example model:

    e2e_sparse.py --tinyc build/tinyc --model-dir models/mnist_cnn --work DIR [--fraction 0.9]

- compiles MODEL_DIR/model.onnx with `--prune FRACTION --prune-method unstructured --quantize
  int8 --calib MODEL_DIR/calib.npy` and `--sparse-kernels never`, `always` and `auto`
  (twice for `always`: the output must be byte-identical, deterministic);
- `always` must report sparse kernels (summary line, "kernel": "sparse" in --report) and
  `never` none;
- the same with float builds (never / always): outputs within 1e-5 (relative to the largest
  output) of the dense host build, on the host and on Cortex-M4;
- runs every build on the host (g++ -fsanitize=address,undefined -Wall -Wextra -Werror) on
  the held-out samples and on a Cortex-M4 under QEMU (arm-none-eabi-g++ -Wall -Wextra
  -Werror) on a few: the outputs of all builds must be bit-identical to the dense build's.
Exit 77 (skipped) when QEMU or the Arm toolchain is missing.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import run_cortexm  # noqa: E402

SKIP = 77


def compile_model(tinyc, model_dir, work, fraction, mode, tag, int8=True):
    out = os.path.join(work, f"sparse_{tag}.cpp")
    rep = os.path.join(work, f"sparse_{tag}.json")
    p = subprocess.run([tinyc, os.path.join(model_dir, "model.onnx"), "-o", out, "--report", rep,
                        "--name", "sparse_model",
                        "--prune", str(fraction), "--prune-method", "unstructured",
                        "--sparse-kernels", mode] +
                       (["--quantize", "int8", "--calib", os.path.join(model_dir, "calib.npy")]
                        if int8 else []), capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"tinyc failed:\n{p.stderr}")
    kernels = [l.get("kernel") for l in json.load(open(rep))["layers"] if "kernel" in l]
    return out, p.stdout, kernels


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tinyc", required=True)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--fraction", type=float, default=0.9)
    ap.add_argument("--m4-samples", type=int, default=4)
    a = ap.parse_args()
    for tool in ["g++", "arm-none-eabi-g++", "qemu-system-arm"]:
        if not shutil.which(tool):
            print(f"SKIP: {tool} not found")
            return SKIP
    work = os.path.join(a.work, "sparse_" + os.path.basename(os.path.normpath(a.model_dir)))
    os.makedirs(work, exist_ok=True)
    ok = True
    builds = {}
    for mode in ["never", "always", "auto"]:
        builds[mode] = compile_model(a.tinyc, a.model_dir, work, a.fraction, mode, mode)
        print(f"  --sparse-kernels {mode}: layers {builds[mode][2]}")
    again = compile_model(a.tinyc, a.model_dir, work, a.fraction, "always", "always2")
    for ext in [".cpp", ".h"]:
        x = open(os.path.splitext(builds["always"][0])[0] + ext).read()
        y = open(os.path.splitext(again[0])[0] + ext).read().replace('"sparse_always2.h"',
                                                                       '"sparse_always.h"')
        if x != y:
            print(f"  FAILED: two compiles differ ({ext})")
            ok = False
    if "sparse" in builds["never"][2] or "sparse kernels:" in builds["never"][1]:
        print("  FAILED: --sparse-kernels never used a sparse kernel")
        ok = False
    if builds["always"][2] == [] or any(k != "sparse" for k in builds["always"][2]) or \
            "sparse kernels:" not in builds["always"][1]:
        print("  FAILED: --sparse-kernels always did not make every eligible layer sparse")
        ok = False
    x = np.load(os.path.join(a.model_dir, "test_x.npy"))
    ref = None
    for mode in ["never", "always", "auto"]:
        src = builds[mode][0]
        host = run_cortexm.build_and_run(src, [x], target="host",
                                         work=os.path.join(work, f"host_{mode}"))
        m4 = run_cortexm.build_and_run(src, [x], target="m4", count=a.m4_samples,
                                       work=os.path.join(work, f"m4_{mode}"))
        h = np.array([o[0] for o in host["outputs"]])
        m = np.array([o[0] for o in m4["outputs"]])
        if ref is None:
            ref = h
        same_host = np.array_equal(h.view(np.uint8), ref.view(np.uint8))
        same_m4 = np.array_equal(m.view(np.uint8), ref[:len(m)].view(np.uint8))
        print(f"  {mode}: host {len(h)} samples {'bit-identical' if same_host else 'DIFFERENT'}"
              f", M4 {len(m)} samples {'bit-identical' if same_m4 else 'DIFFERENT'}, "
              f"{m4['instructions'][0]} instructions, model flash {m4['sizes']['model']['flash']} B")
        ok &= same_host and same_m4
    # Float: the sparse Gemm/Conv kernels sum the same terms in the same order.
    ref = None
    for mode in ["never", "always"]:
        src, out, kernels = compile_model(a.tinyc, a.model_dir, work, a.fraction, mode,
                                          "f32_" + mode, int8=False)
        host = run_cortexm.build_and_run(src, [x], target="host",
                                         work=os.path.join(work, f"host_f32_{mode}"))
        m4 = run_cortexm.build_and_run(src, [x], target="m4", count=a.m4_samples,
                                       work=os.path.join(work, f"m4_f32_{mode}"))
        h = np.array([o[0] for o in host["outputs"]])
        m = np.array([o[0] for o in m4["outputs"]])
        if ref is None:
            ref = h
        tol = 1e-5 * max(1.0, float(np.abs(ref).max()))
        dh, dm = float(np.abs(h - ref).max()), float(np.abs(m - ref[:len(m)]).max())
        print(f"  float {mode}: layers {kernels}; max |diff| to dense host: host {dh:.3g}, "
              f"M4 {dm:.3g} (tolerance {tol:.3g}); {m4['instructions'][0]} instructions")
        ok &= dh <= tol and dm <= tol
        if mode == "always" and (not kernels or any(k != "sparse" for k in kernels)):
            print("  FAILED: float --sparse-kernels always left a dense layer")
            ok = False
    print("e2e_sparse: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
