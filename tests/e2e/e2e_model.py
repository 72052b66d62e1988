#!/usr/bin/python3
"""End-to-end test of one example model: ONNX -> tinyc -> C++ -> host / Cortex-M4 / Cortex-M7.

    e2e_model.py --tinyc build/tinyc --model-dir models/mnist_cnn --target host|m4|m7 --work DIR

- compiles MODEL_DIR/model.onnx with tinyc; a model using an op tinyc does not support yet
  (tinyc says "not supported") makes the test SKIPPED (exit 77), as does a missing tool;
- host: builds with g++ -fsanitize=address,undefined, runs every committed held-out sample
  (test_x.npy), compares with onnxruntime's outputs (ref_out.npy; rtol 1e-4, atol 1e-5) and
  prints the accuracy against test_y.npy (when the model has labels: the *_arch models have
  random weights and none);
- m4 / m7: builds the firmware with arm-none-eabi-g++, runs the first --count samples under
  QEMU (mps2-an386 / mps2-an500, -icount shift=0), compares with onnxruntime's outputs and
  bit for bit with the host build on the same samples (a difference is printed, not failed:
  the tolerance check decides), and prints instructions per inference and flash/RAM.
Figures also go to WORK/figures_TARGET.json.
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
RTOL, ATOL = 1e-4, 1e-5


def compile_model(tinyc, model, out_cpp, name, extra=()):
    p = subprocess.run([tinyc, model, "-o", out_cpp, "--name", name, *extra], capture_output=True,
                       text=True)
    text = p.stdout + p.stderr
    if p.returncode != 0:
        if "not supported" in text:
            reason = next((l for l in text.splitlines() if "not supported" in l), text.strip())
            print(f"SKIPPED: tinyc does not support this model yet: {reason.strip()}")
            sys.exit(SKIP)
        print(f"FAILED: tinyc exited with {p.returncode}:\n{text}")
        sys.exit(1)
    return text


def check_close(name, got, ref):
    """Prints and returns whether `got` matches `ref` within the float tolerance."""
    diff = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    bad = diff > ATOL + RTOL * np.abs(ref.astype(np.float64))
    print(f"  {name}: max |diff| {diff.max():.3g}, {int(bad.sum())} of {bad.size} values "
          f"outside rtol {RTOL} / atol {ATOL}")
    return not bad.any()


def explain_difference(cpp, x, target, work, host_out):
    """arm-none-eabi-g++ contracts a * b + c into fused multiply-adds (GCC's default
    -ffp-contract=fast for C++), the x86-64 host build has no FMA: rebuild the target with
    -ffp-contract=off to tell that apart from a real kernel difference."""
    r = run_cortexm.build_and_run(cpp, [x], target, work=os.path.join(work, target + "_nofma"),
                                  extra_flags=["-ffp-contract=off"])
    out = np.stack([o[0].reshape(-1) for o in r["outputs"]])
    same = out.view(np.uint32) == host_out.view(np.uint32)
    print(f"  {target} built with -ffp-contract=off vs host: " +
          ("bit-identical (the difference is FMA contraction)" if same.all() else
           f"still different in {int((~same).sum())} of {same.size} values "
           "(e.g. libm functions or target-specific kernels)"))
    return bool(same.all())


def main():
    global ATOL  # --atol
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinyc", required=True)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--target", choices=["host", "m4", "m7"], required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--count", type=int, default=20, help="samples per QEMU run")
    ap.add_argument("--tinyc-arg", action="append", default=[], metavar="ARG",
                    help="pass ARG to tinyc (repeatable), e.g. --poison-dead for the checking build")
    ap.add_argument("--tag", default="", help="suffix of the work folder (variants of one model)")
    ap.add_argument("--atol", type=float, default=ATOL,
                    help="absolute tolerance against onnxruntime (ill-conditioned models)")
    a = ap.parse_args()
    ATOL = a.atol

    model_dir = os.path.abspath(a.model_dir)
    label = os.path.basename(model_dir)
    name = re.sub(r"\W", "_", label)
    work = os.path.join(os.path.abspath(a.work), f"{label}_{a.target}{a.tag}")
    os.makedirs(work, exist_ok=True)
    x = np.load(os.path.join(model_dir, "test_x.npy"))
    labels = os.path.join(model_dir, "test_y.npy")
    y = np.load(labels) if os.path.exists(labels) else None
    ref = np.load(os.path.join(model_dir, "ref_out.npy"))
    print(f"e2e {label} on {a.target}: {len(x)} held-out samples, reference: onnxruntime")

    cpp = os.path.join(work, f"{name}.cpp")
    summary = compile_model(a.tinyc, os.path.join(model_dir, "model.onnx"), cpp, name, a.tinyc_arg)
    for line in summary.strip().splitlines()[1:]:
        print("  tinyc:" + line)
    header = open(os.path.join(work, f"{name}.h")).read()
    arena = int(re.search(r"_ARENA_BYTES (\d+)", header).group(1))
    weights = int(re.search(r"_WEIGHTS_BYTES (\d+)", header).group(1))

    ok = True
    figures = {"model": label, "target": a.target, "arena_bytes": arena, "weights_bytes": weights}
    try:
        count = len(x) if a.target == "host" else min(a.count, len(x))
        host = run_cortexm.build_and_run(cpp, [x[:count]], "host", work=os.path.join(work, "host"))
        host_out = np.stack([o[0].reshape(-1) for o in host["outputs"]])
        ok &= check_close("host vs onnxruntime", host_out, ref[:count])
        if a.target == "host":
            figures.update(samples=count)
            if y is not None:
                acc = float((host_out.argmax(1) == y[:count]).mean())
                ref_acc = float((ref[:count].argmax(1) == y[:count]).mean())
                print(f"  accuracy on {count} held-out samples: {100 * acc:.2f}% "
                      f"(onnxruntime: {100 * ref_acc:.2f}%)")
                figures.update(accuracy=acc, onnxruntime_accuracy=ref_acc)
        else:
            r = run_cortexm.build_and_run(cpp, [x[:count]], a.target, work=os.path.join(work, a.target))
            out = np.stack([o[0].reshape(-1) for o in r["outputs"]])
            ok &= check_close(f"{a.target} vs onnxruntime", out, ref[:count])
            same = out.view(np.uint32) == host_out.view(np.uint32)
            print(f"  {a.target} vs host: {'bit-identical' if same.all() else 'DIFFERENT in %d of %d values (max |diff| %.3g)' % (int((~same).sum()), same.size, float(np.abs(out - host_out).max()))}")
            if not same.all():
                figures["bit_identical_without_fma_contraction"] = explain_difference(
                    cpp, x[:count], a.target, work, host_out)
            acc = float((out.argmax(1) == y[:count]).mean()) if y is not None else float("nan")
            instr = r["instructions"]
            m, fw = r["sizes"]["model"], r["sizes"]["firmware"]
            if y is not None:
                print(f"  accuracy on the {count} samples run: {100 * acc:.1f}%")
            print(f"  instructions per inference: {min(instr)} .. {max(instr)} "
                  f"(mean {sum(instr) / len(instr):.0f}; QEMU -icount, not cycles)")
            print(f"  model object: flash {m['flash']} B (text {m['text']} + data {m['data']}), "
                  f"RAM {m['ram']} B (data {m['data']} + bss {m['bss']}); arena {arena} B, weights {weights} B")
            print(f"  whole firmware: flash {fw['flash']} B (incl. {r['sizes']['samples_bytes']} B of "
                  f"samples), RAM {fw['ram']} B + 64 KiB reserved for the stack")
            figures.update(samples=count, bit_identical_to_host=bool(same.all()), accuracy=acc,
                           instructions=instr, model_sizes=m, firmware_sizes=fw,
                           qemu_command=r["command"])
    except run_cortexm.ToolMissing as e:
        print(f"SKIPPED: {e}")
        return SKIP
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
        print(f"FAILED: {e}")
        return 1
    with open(os.path.join(os.path.abspath(a.work), f"figures_{label}_{a.target}.json"), "w") as f:
        json.dump(figures, f, indent=1)
    print("PASSED" if ok else "FAILED: outputs differ from onnxruntime beyond the tolerance")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
