#!/usr/bin/python3
"""Checks the dense/sparse kernel choice of tinyc's cost model by measurement
(docs/sparse_kernels.md).

    tools/sparse_check.py [--tinyc build/tinyc] [--models mnist_cnn ds_cnn_fashion]
                          [--fractions 0.5 0.8 0.9] [--work DIR] [--no-layers]

For each example model, unstructured sparsity and precision (float, int8), compiles with
`--prune F --prune-method unstructured` and `--sparse-kernels never`, `always` and `auto`, and
prints a Markdown table: weight bytes (tinyc's count), flash (arm-none-eabi-size of the model
object), arena bytes (RAM), Cortex-M4 instructions per inference (QEMU, tools/run_cortexm.py)
and the layers auto made sparse. Then, per layer that has a sparse kernel, it measures that layer alone
(`--sparse-kernels only=LAYER`, the difference to the dense build) and compares the cost
model's estimate and choice with the measured better kernel.
Exit 77 when QEMU or the Arm toolchain is missing.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import run_cortexm  # noqa: E402


def compile_and_measure(a, model_dir, work, fraction, int8, mode, x):
    tag = f"{os.path.basename(model_dir)}_{'int8' if int8 else 'f32'}_{fraction}_{mode}"
    tag = "".join(c if c.isalnum() else "_" for c in tag)
    out = os.path.join(work, tag + ".cpp")
    rep = os.path.join(work, tag + ".json")
    args = [a.tinyc, os.path.join(model_dir, "model.onnx"), "-o", out, "-q", "--name", "m",
            "--report", rep, "--prune", str(fraction), "--prune-method", "unstructured",
            "--sparse-kernels", mode]
    if int8:
        args += ["--quantize", "int8", "--calib", os.path.join(model_dir, "calib.npy")]
    subprocess.run(args, check=True)
    r = run_cortexm.build_and_run(out, [x], target="m4", count=1, work=os.path.join(work, tag))
    report = json.load(open(rep))
    return {"instr": r["instructions"][0], "flash": r["sizes"]["model"]["flash"],
            "weights": report["totals"]["weights_bytes"],
            "arena": report["totals"]["arena_bytes"],
            "layers": [l for l in report["layers"] if "kernel" in l]}


def short(name):
    return name.rsplit("/", 2)[-2] if name.count("/") >= 2 else name


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tinyc", default=os.path.join(ROOT, "build", "tinyc"))
    ap.add_argument("--models", nargs="+", default=["mnist_cnn", "ds_cnn_fashion"])
    ap.add_argument("--fractions", nargs="+", type=float, default=[0.5, 0.8, 0.9])
    ap.add_argument("--work", default="/tmp/sparse_check")
    ap.add_argument("--no-layers", action="store_true", help="skip the per-layer measurements")
    a = ap.parse_args()
    for tool in ["qemu-system-arm", "arm-none-eabi-g++", "arm-none-eabi-size"]:
        if not shutil.which(tool):
            print(f"SKIP: {tool} not found")
            return 77
    os.makedirs(a.work, exist_ok=True)
    print("## Whole models (Cortex-M4, QEMU; weights = tinyc's constant bytes, flash = model "
          "object text + data)\n")
    print("| model | dtype | sparsity | weights B never / always / auto | flash B never / always "
          "/ auto | arena B never / always / auto | M4 instructions never / always / auto "
          "| auto chose sparse |")
    print("|---|---|---|---|---|---|---|---|")
    layer_rows = []
    for model in a.models:
        model_dir = os.path.join(ROOT, "models", model)
        x = np.load(os.path.join(model_dir, "test_x.npy"))[:1]
        for int8 in [False, True]:
            for f in a.fractions:
                r = {m: compile_and_measure(a, model_dir, a.work, f, int8, m, x)
                     for m in ["never", "always", "auto"]}
                chosen = [short(l["name"]) for l in r["auto"]["layers"] if l["kernel"] == "sparse"]
                eligible = len(r["auto"]["layers"])
                auto = (", ".join(chosen) if chosen else "none") + f" (of {eligible})"
                if eligible == 0:
                    auto = "no sparse kernel"
                print(f"| {model} | {'int8' if int8 else 'float'} | {f} | "
                      f"{r['never']['weights']} / {r['always']['weights']} / {r['auto']['weights']} | "
                      f"{r['never']['flash']} / {r['always']['flash']} / {r['auto']['flash']} | "
                      f"{r['never']['arena']} / {r['always']['arena']} / {r['auto']['arena']} | "
                      f"{r['never']['instr']} / {r['always']['instr']} / {r['auto']['instr']} | "
                      f"{auto} |", flush=True)
                if a.no_layers:
                    continue
                for l in r["never"]["layers"]:
                    only = compile_and_measure(a, model_dir, a.work, f, int8,
                                               "only=" + l["name"], x)
                    auto_l = next(q for q in r["auto"]["layers"] if q["name"] == l["name"])
                    layer_rows.append((model, "int8" if int8 else "float", f, l, only["instr"] - r["never"]["instr"],
                                       auto_l["kernel"]))
    if not layer_rows:
        return 0
    print("\n## Layers: cost model vs measurement (delta = sparse - dense instructions; "
          "`only=LAYER` build minus the dense build)\n")
    print("| model | dtype | sparsity | layer | nonzero | bytes dense / sparse | estimated delta | "
          "measured delta | auto | better by measurement | right? |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    wrong = 0
    for model, dt, f, l, delta, auto in layer_rows:
        kb, est = l["kernel_bytes"], l["estimated_instructions"]
        est_delta = est["sparse"] - est["dense"]
        # The rule auto applies, with the measured instructions.
        better = "sparse" if kb["sparse"] < kb["dense"] and delta < 0 else "dense"
        ok = better == auto
        wrong += not ok
        print(f"| {model} | {dt} | {f} | {short(l['name'])} | {l['nonzero_weights']} | "
              f"{kb['dense']} / {kb['sparse']} | {est_delta:+.0f} | {delta:+d} | {auto} | {better} | "
              f"{'yes' if ok else '**no**'} |")
    print(f"\nauto chose the measured better kernel in {len(layer_rows) - wrong} of "
          f"{len(layer_rows)} layer cases.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
