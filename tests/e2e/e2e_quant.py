#!/usr/bin/python3
"""End-to-end test of post-training int8 quantisation on one example model:

    e2e_quant.py --tinyc build/tinyc --model-dir models/mnist_cnn --target host|m4|m7 \
        --work DIR [--method mse] [--all-ops]

- compiles MODEL_DIR/model.onnx with `--quantize int8 --calib MODEL_DIR/calib.npy` (training
  samples) and `--val test_x.npy test_y.npy` (the held-out samples, never used to calibrate),
  and reads tinyc's own int8-vs-float figures from the --report JSON;
- host: builds the generated code with g++ -fsanitize=address,undefined, runs every held-out
  sample, and checks that its top-1 accuracy is the one tinyc's reference evaluator reported
  (so the generated code computes what was measured) and that int8 loses at most
  --max-loss points of top-1 against float; prints SNR against onnxruntime's float outputs;
- m4 / m7: also runs the first --count samples under QEMU and requires outputs bit-identical
  to the host build (when they differ only because arm-none-eabi-g++ contracts float
  multiply-adds in ops still running in float, a -ffp-contract=off build must be identical).
--all-ops adds --quantize-all-ops (every op of the int8 specification between QDQ pairs,
whether or not its int8 kernel exists yet). The test does not depend on which ops are lowered.
Exit 77 (skipped) when a tool is missing.
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import run_cortexm  # noqa: E402

SKIP = 77


def snr_db(ref, got):
    ref, got = ref.astype(np.float64), got.astype(np.float64)
    noise = ((got - ref) ** 2).sum()
    return float("inf") if noise == 0 else 10 * np.log10((ref ** 2).sum() / noise)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinyc", required=True)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--target", choices=["host", "m4", "m7"], required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--method", default=None, help="--calib-method (default: tinyc's)")
    ap.add_argument("--all-ops", action="store_true", help="pass --quantize-all-ops")
    ap.add_argument("--count", type=int, default=20, help="samples per QEMU run")
    ap.add_argument("--max-loss", type=float, default=1.0, help="allowed top-1 loss, points")
    a = ap.parse_args()

    model_dir = os.path.abspath(a.model_dir)
    label = os.path.basename(model_dir)
    variant = ("all_ops" if a.all_ops else "rules") + ("_" + a.method if a.method else "")
    name = re.sub(r"\W", "_", label) + "_q"
    work = os.path.join(os.path.abspath(a.work), f"quant_{label}_{variant}_{a.target}")
    os.makedirs(work, exist_ok=True)
    x_path, y_path = (os.path.join(model_dir, f) for f in ("test_x.npy", "test_y.npy"))
    x, y = np.load(x_path), np.load(y_path)
    ref = np.load(os.path.join(model_dir, "ref_out.npy"))

    cpp = os.path.join(work, f"{name}.cpp")
    report = os.path.join(work, "report.json")
    cmd = [a.tinyc, os.path.join(model_dir, "model.onnx"), "-o", cpp, "--name", name,
           "--quantize", "int8", "--calib", os.path.join(model_dir, "calib.npy"),
           "--val", x_path, y_path, "--report", report]
    if a.method:
        cmd += ["--calib-method", a.method]
    if a.all_ops:
        cmd += ["--quantize-all-ops"]
    print(f"e2e int8 {label} ({variant}) on {a.target}: " + " ".join(cmd[1:]))
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"FAILED: tinyc exited with {p.returncode}:\n{p.stdout}{p.stderr}")
        return 1
    for line in p.stdout.strip().splitlines()[1:]:
        print("  tinyc:" + line)
    q = json.load(open(report))["quantization"]
    acc = q["accuracy"]
    ok = True
    loss = 100 * (acc["top1_float"] - acc["top1_int8"])
    print(f"  tinyc evaluator on {acc['samples']} held-out samples: top-1 float "
          f"{100 * acc['top1_float']:.2f}%, int8 {100 * acc['top1_int8']:.2f}% "
          f"(loss {loss:.2f} points; allowed {a.max_loss})")
    if loss > a.max_loss:
        print("  int8 loses more top-1 accuracy than allowed")
        ok = False

    try:
        count = len(x) if a.target == "host" else min(a.count, len(x))
        host = run_cortexm.build_and_run(cpp, [x[:count]], "host", work=os.path.join(work, "host"))
        host_out = np.stack([o[0].reshape(-1) for o in host["outputs"]])
        top1 = float((host_out.argmax(1) == y[:count]).mean())
        print(f"  generated code (host) on {count} samples: top-1 {100 * top1:.2f}%, "
              f"SNR vs onnxruntime float {snr_db(ref[:count], host_out):.1f} dB, "
              f"max |diff| {np.abs(host_out - ref[:count]).max():.4g}")
        if a.target == "host" and abs(top1 - acc["top1_int8"]) * count > 1:
            print("  the generated code's accuracy differs from the evaluator's: "
                  f"{100 * top1:.2f}% vs {100 * acc['top1_int8']:.2f}%")
            ok = False
        if a.target != "host":
            r = run_cortexm.build_and_run(cpp, [x[:count]], a.target,
                                          work=os.path.join(work, a.target))
            out = np.stack([o[0].reshape(-1) for o in r["outputs"]])
            same = out.view(np.uint32) == host_out.view(np.uint32)
            if same.all():
                print(f"  {a.target} vs host: bit-identical on {count} samples")
            else:
                print(f"  {a.target} vs host: different in {int((~same).sum())} of {same.size} "
                      "values; rebuilding with -ffp-contract=off")
                r2 = run_cortexm.build_and_run(cpp, [x[:count]], a.target,
                                               work=os.path.join(work, a.target + "_nofma"),
                                               extra_flags=["-ffp-contract=off"])
                out2 = np.stack([o[0].reshape(-1) for o in r2["outputs"]])
                same2 = out2.view(np.uint32) == host_out.view(np.uint32)
                print(f"  {a.target} -ffp-contract=off vs host: " +
                      ("bit-identical" if same2.all() else f"DIFFERENT in {int((~same2).sum())}"))
                ok &= bool(same2.all())
            instr = r["instructions"]
            m = r["sizes"]["model"]
            print(f"  instructions per inference: {min(instr)} .. {max(instr)} (QEMU -icount); "
                  f"model flash {m['flash']} B, RAM {m['ram']} B")
    except run_cortexm.ToolMissing as e:
        print(f"SKIPPED: {e}")
        return SKIP
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
        print(f"FAILED: {e}")
        return 1
    print("PASSED" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
