#!/usr/bin/python3
"""End-to-end test of pruning on one example model:

    e2e_prune.py --tinyc build/tinyc --model-dir models/mnist_cnn --work DIR \
        [--fraction 0.5|auto [--max-drop D]] [--method structured|unstructured] [--int8]
        [--m4 N]

- compiles MODEL_DIR/model.onnx with `--prune FRACTION` (and `--quantize int8 --calib
  MODEL_DIR/calib.npy` with --int8), `--val test_x.npy test_y.npy` and `--report`, and reads
  the "pruning" section: weights bytes, MACs and top-1 before and after pruning (tinyc's
  reference evaluator);
- checks that structured pruning shrank weights and MACs (unstructured: that the sparsity
  was reached); with `--fraction auto`, that the search pruned something and kept the
  compiled model's top-1 within D points of the unpruned float model;
- builds the generated code on the host (g++ -fsanitize=address,undefined), runs every
  held-out sample and requires its top-1 to be the evaluator's figure for the pruned model
  (so the code computes what was measured);
- with --m4 N: builds it for Cortex-M4 (arm-none-eabi-g++), runs the first N samples under
  QEMU and compares with the host build: int8 outputs must be bit-identical; float outputs
  within 1e-5 of the sample's largest output magnitude, and when they are not bit-identical a
  -ffp-contract=off build must be (arm-none-eabi-g++ contracts float multiply-adds into FMAs,
  the x86-64 host does not; the rule of e2e_quant.py).
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
FLOAT_RTOL = 1e-5  # float M4 vs host, relative to each sample's largest output magnitude


# Bad option values: one clear error line each, exit 1.
BAD_OPTIONS = [
    (["--prune", "1.2"], "from 0 to 0.95"),
    (["--prune", "half"], "from 0 to 0.95"),
    (["--prune", "auto"], "add --val"),
    (["--max-accuracy-drop", "1"], "need --prune FRACTION or --prune auto"),
    (["--prune", "0.5", "--max-accuracy-drop", "1"], "needs --prune auto"),
    (["--prune", "0.5", "--prune-norm", "data"], "add --calib"),
    (["--prune", "0.5", "--prune-compensate", "refit"], "add --calib"),
    (["--prune", "0.5", "--prune-compensate", "average"], "not supported (refit, mean or none)"),
    (["--prune", "0.5", "--prune-method", "unstructured", "--prune-compensate", "mean"],
     "structured only"),
    (["--prune", "0.5", "--prune-method", "random"], "not supported (structured or unstructured)"),
    (["--prune", "0.5", "--prune-norm", "l3"], "not supported (l1, l2 or data)"),
    (["--prune-method", "structured"], "need --prune FRACTION"),
    (["--prune", "0.5", "--prune-method", "unstructured", "--prune-norm", "l2"], "structured only"),
]


def check_errors(tinyc, model, work):
    ok = True
    for args, want in BAD_OPTIONS:
        p = subprocess.run([tinyc, model, "-o", os.path.join(work, "bad.cpp")] + args,
                           capture_output=True, text=True)
        if p.returncode != 1 or want not in p.stderr or len(p.stderr.strip().splitlines()) != 1:
            print(f"  {' '.join(args)}: expected one error line with '{want}', got exit "
                  f"{p.returncode}: {p.stderr.strip()}")
            ok = False
    print(f"  {len(BAD_OPTIONS)} bad option values: " + ("clear errors" if ok else "FAILED"))
    return ok


def check_zero_channels(tinyc, work):
    """A conv whose channel 1 has zero weights and bias: removed by default (fewer MACs and
    weights in the report), kept with --keep-zero-channels."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(3)
    w1 = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    w1[1] = 0
    b1 = np.array([0.1, 0.0, -0.2], np.float32)
    w2 = rng.standard_normal((2, 3, 1, 1)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c1"], ["r1"]),
         helper.make_node("Conv", ["r1", "w2"], ["y"])],
        "zero_channel", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 6, 6])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
         numpy_helper.from_array(w2, "w2")])
    path = os.path.join(work, "zero_channel.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
    macs = {}
    for keep in (False, True):
        rep = os.path.join(work, f"zero_channel_{keep}.json")
        p = subprocess.run([tinyc, path, "-o", os.path.join(work, "zero_channel.cpp"), "-q",
                            "--report", rep] + (["--keep-zero-channels"] if keep else []),
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(f"  zero-channel model: tinyc exited with {p.returncode}: {p.stderr.strip()}")
            return False
        macs[keep] = json.load(open(rep))["totals"]["macs"]
    # 3 channels x 2 inputs x 9 taps + 2 x 3 per pixel, against 2 channels of 3.
    want = {True: 36 * (54 + 6), False: 36 * (36 + 4)}
    ok = macs == want
    print(f"  all-zero channel: MACs {macs[False]} removed, {macs[True]} with --keep-zero-channels"
          + ("" if ok else f" (expected {want[False]} and {want[True]}): FAILED"))
    return ok


def check_auto(pr, max_drop, method):
    """The search's record: a fraction per layer, something pruned, top-1 within budget."""
    auto = pr.get("auto")
    if not auto or not auto["fractions"]:
        print("  the report has no per-layer choice of --prune auto")
        return False
    print("  auto: " + ", ".join(f"{k} {v:g}" for k, v in auto["fractions"].items()) +
          f" ({auto['candidates_evaluated']} candidates)")
    ok = True
    smaller = (pr["macs_after"] < pr["macs_before"] if method == "structured"
               else pr["nonzero_weights_after"] < pr["nonzero_weights_before"])
    if not smaller:
        print("  --prune auto pruned nothing")
        ok = False
    drop = 100 * (pr["top1_before"] - pr["top1_after"])
    if drop > max_drop + 1e-9:
        print(f"  top-1 dropped {drop:.2f} points, over the budget of {max_drop:g}")
        ok = False
    return ok


def bits(a):
    return np.ascontiguousarray(a).view(np.uint8).reshape(len(a), -1)


def run_m4(cpp, x, host_out, int8, work):
    """Runs x on Cortex-M4 under QEMU and compares with the host outputs; returns ok."""
    r = run_cortexm.build_and_run(cpp, [x], "m4", work=os.path.join(work, "m4"))
    out = np.stack([o[0].reshape(-1) for o in r["outputs"]])
    instr = r["instructions"]
    print(f"  Cortex-M4 (QEMU) on {len(out)} samples: {sum(instr) / len(instr):.0f} instructions "
          f"per inference, model flash {r['sizes']['model']['flash']} B")
    same = (bits(out) == bits(host_out)).all(1)
    if same.all():
        print(f"  M4 vs host: bit-identical on {len(out)} samples")
        return True
    diff = np.abs(out.astype(np.float64) - host_out.astype(np.float64))
    scale = np.abs(host_out.astype(np.float64)).max(1, keepdims=True)
    worst = float((diff / np.maximum(scale, 1e-30)).max())
    print(f"  M4 vs host: {int((~same).sum())} of {len(out)} samples differ, max |diff| "
          f"{diff.max():.3g} ({worst:.2g} of the sample's largest output)")
    if int8:
        print("  int8 outputs must be bit-identical")
        return False
    ok = worst <= FLOAT_RTOL
    if not ok:
        print(f"  float outputs differ by more than {FLOAT_RTOL:g} relative")
    r2 = run_cortexm.build_and_run(cpp, [x], "m4", work=os.path.join(work, "m4_nofma"),
                                   extra_flags=["-ffp-contract=off"])
    out2 = np.stack([o[0].reshape(-1) for o in r2["outputs"]])
    same2 = (bits(out2) == bits(host_out)).all()
    print("  M4 built with -ffp-contract=off vs host: " +
          ("bit-identical (the difference is FMA contraction)" if same2 else "still DIFFERENT"))
    return ok and bool(same2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinyc", required=True)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--fraction", default="0.5")
    ap.add_argument("--method", default="structured", choices=["structured", "unstructured"])
    ap.add_argument("--int8", action="store_true")
    ap.add_argument("--max-drop", default="2", help="--max-accuracy-drop with --fraction auto")
    ap.add_argument("--m4", type=int, default=0, metavar="N",
                    help="also run the first N samples on Cortex-M4 (QEMU) against the host build")
    a = ap.parse_args()

    model_dir = os.path.abspath(a.model_dir)
    label = os.path.basename(model_dir)
    variant = f"{a.method}_{a.fraction}" + ("_int8" if a.int8 else "")
    name = re.sub(r"\W", "_", f"{label}_p")
    work = os.path.join(os.path.abspath(a.work), f"prune_{label}_{variant}")
    os.makedirs(work, exist_ok=True)
    x_path, y_path = (os.path.join(model_dir, f) for f in ("test_x.npy", "test_y.npy"))
    x, y = np.load(x_path), np.load(y_path)

    ok = check_errors(a.tinyc, os.path.join(model_dir, "model.onnx"), work)
    ok &= check_zero_channels(a.tinyc, work)
    cpp = os.path.join(work, f"{name}.cpp")
    report = os.path.join(work, "report.json")
    cmd = [a.tinyc, os.path.join(model_dir, "model.onnx"), "-o", cpp, "--name", name,
           "--prune", a.fraction, "--prune-method", a.method,
           "--val", x_path, y_path, "--report", report]
    if a.fraction == "auto":
        cmd += ["--max-accuracy-drop", a.max_drop]
    if a.int8:
        cmd += ["--quantize", "int8", "--calib", os.path.join(model_dir, "calib.npy")]
    print(f"e2e prune {label} ({variant}): " + " ".join(cmd[1:]))
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        print(f"FAILED: tinyc exited with {p.returncode}:\n{p.stdout}{p.stderr}")
        return 1
    for line in p.stdout.strip().splitlines()[1:]:
        print("  tinyc:" + line)
    rep = json.load(open(report))
    pr = rep["pruning"]
    totals = rep["totals"]
    print(f"  float graph: weights {pr['weights_bytes_before']} -> {pr['weights_bytes_after']} B, "
          f"MACs {pr['macs_before']} -> {pr['macs_after']}, nonzero weights "
          f"{pr['nonzero_weights_before']} -> {pr['nonzero_weights_after']}")
    print(f"  compiled: weights {totals['weights_bytes']} B, arena {totals['arena_bytes']} B, "
          f"MACs {totals['macs']}")
    print(f"  evaluator top-1 on {pr['samples']} held-out samples: before {100 * pr['top1_before']:.2f}%, "
          f"after {100 * pr['top1_after']:.2f}%")
    if a.fraction == "auto":
        ok &= check_auto(pr, float(a.max_drop), a.method)
    f = 0.0 if a.fraction == "auto" else float(a.fraction)
    if a.method == "structured" and f >= 0.25:
        if not (pr["macs_after"] < pr["macs_before"] and pr["weights_bytes_after"] < pr["weights_bytes_before"]):
            print("  structured pruning did not shrink weights and MACs")
            ok = False
    if a.method == "unstructured":
        sparsity = 1 - pr["nonzero_weights_after"] / pr["weights_after"]
        print(f"  sparsity {100 * sparsity:.1f}% (asked {100 * f:.1f}%)")
        if sparsity + 1e-3 < f:
            print("  the requested sparsity was not reached")
            ok = False
    try:
        host = run_cortexm.build_and_run(cpp, [x], "host", work=os.path.join(work, "host"))
        out = np.stack([o[0].reshape(-1) for o in host["outputs"]])
        top1 = float((out.argmax(1) == y[:len(out)]).mean())
        print(f"  generated code (host) on {len(out)} samples: top-1 {100 * top1:.2f}%")
        right, want = round(top1 * len(out)), round(pr["top1_after"] * pr["samples"])
        if abs(right - want) > 0:
            print(f"  the generated code's accuracy differs from the evaluator's: "
                  f"{100 * top1:.2f}% vs {100 * pr['top1_after']:.2f}%")
            ok = False
        if a.m4 > 0:
            ok &= run_m4(cpp, x[:a.m4], out[:a.m4], a.int8, work)
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
