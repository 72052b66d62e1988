#!/usr/bin/python3
"""Compression table of tinyc: what int8 quantisation and pruning save on the trained example
models (models/*/ with test_y.npy), measured on the generated code.

    tools/compression_table.py                       # every row, writes docs/compression.md
    tools/compression_table.py --models mnist_cnn --rows float s50 --out -

Rows (tinyc flags; CALIB = MODEL/calib.npy, X/Y = MODEL/test_x.npy, test_y.npy):
  float      no flags (the baseline every reduction is relative to)
  int8       --quantize int8 --calib CALIB
  s50        --prune 0.5 (structured, the default method)
  int8_s50   --quantize int8 --calib CALIB --prune 0.5
  int8_auto  --quantize int8 --calib CALIB --prune auto --val X Y --max-accuracy-drop 2
  u50        --prune 0.5 --prune-method unstructured
  int8_u50   --quantize int8 --calib CALIB --prune 0.5 --prune-method unstructured
  int8_auto_u  --quantize int8 --calib CALIB --prune auto --prune-method unstructured --val X Y
             --max-accuracy-drop 2 (per-layer sparsities; sparse kernels where they pay)
For each: weights and arena bytes (tinyc --report), flash of the model object (text + data,
arm-none-eabi-g++ for Cortex-M4, tools/run_cortexm.py), instructions per inference on
Cortex-M4 under QEMU (mean over --qemu-samples), top-1 of the generated code run on the host
over every held-out sample, and the reductions against the float row; then the targets with
verdicts. A row tinyc cannot compile shows "—" and tinyc's first error line, and the table
goes on. Exit status: 0 when every float row was measured, 1 otherwise.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import benchmark  # noqa: E402
import run_cortexm  # noqa: E402

MODELS = ["mnist_cnn", "ds_cnn_fashion"]  # trained example models (they have test_y.npy)
INT8 = ["--quantize", "int8", "--calib", "{calib}"]
# id, label, tinyc flags ({calib}, {x}, {y} are the model's files)
ROWS = [
    ("float", "float", []),
    ("int8", "int8", INT8),
    ("s50", "pruned 50% structured, float", ["--prune", "0.5", "--calib", "{calib}"]),
    ("int8_s50", "int8 + pruned 50% structured", INT8 + ["--prune", "0.5"]),
    ("int8_auto", "int8 + auto pruning (max drop 2 points)",
     INT8 + ["--prune", "auto", "--val", "{x}", "{y}", "--max-accuracy-drop", "2"]),
    ("u50", "pruned 50% unstructured, float", ["--prune", "0.5", "--prune-method", "unstructured"]),
    ("int8_u50", "int8 + pruned 50% unstructured",
     INT8 + ["--prune", "0.5", "--prune-method", "unstructured"]),
    ("int8_auto_u", "int8 + auto unstructured pruning (max drop 2 points)",
     INT8 + ["--prune", "auto", "--prune-method", "unstructured", "--val", "{x}", "{y}",
             "--max-accuracy-drop", "2"]),
]
ROW_IDS = [r[0] for r in ROWS]
SUMMARY_ROWS = {"int8_auto", "int8_auto_u"}  # rows whose tinyc summary (per-layer choice) goes into the table

# Targets: (label, rows, [(figure, threshold, text)]), figures relative to the float row.
TARGETS = [
    ("50% structured pruning", ["s50"],
     [("weights_saved", 0.45, ">= 45% fewer weight bytes"),
      ("speedup", 1.8, ">= 1.8x fewer M4 instructions")]),
    ("int8 + pruning", ["int8_s50", "int8_auto"],
     [("weights_saved", 0.90, ">= 90% fewer weight bytes"), ("speedup", 5.0, ">= 5x fewer M4 instructions")]),
    ("int8 + auto pruning accuracy", ["int8_auto"], [("top1_loss", 2.0, "top-1 loss <= 2 points")]),
]
DASH = "—"


def log(msg):
    print(f"compression_table: {msg}", file=sys.stderr, flush=True)


def rel(path):
    return os.path.relpath(path, ROOT) if os.path.isabs(path) and path.startswith(ROOT + os.sep) else path


def tinyc_flags(row_flags, model_dir):
    files = {k: rel(os.path.join(model_dir, f)) for k, f in
             (("calib", "calib.npy"), ("x", "test_x.npy"), ("y", "test_y.npy"))}
    return [f.format(**files) for f in row_flags]


def compile_row(tinyc, model, model_dir, flags, work):
    """Runs tinyc (from ROOT, so the flags can name files relative to it); returns (cpp, report,
    stdout) or raises RuntimeError(first error line)."""
    os.makedirs(work, exist_ok=True)
    name = re.sub(r"\W", "_", model)
    cpp = os.path.join(work, f"{name}.cpp")
    report = os.path.join(work, "report.json")
    for stale in (cpp, report):
        if os.path.exists(stale):
            os.remove(stale)  # never measure a previous run's output
    cmd = [tinyc, os.path.join(model_dir, "model.onnx"), "-o", cpp, "--name", name,
           "--report", report] + flags
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        msg = benchmark.first_error_line(p.stderr + p.stdout)
        raise RuntimeError(msg.replace(work + os.sep, "").replace(ROOT + os.sep, ""))
    with open(report) as f:
        return cpp, json.load(f), p.stdout


def summary_lines(stdout):
    """tinyc's compile summary without its first line (which names the temporary files)."""
    return [l.rstrip() for l in stdout.splitlines()[1:] if l.strip()]


def measure_row(args, model, model_dir, row):
    row_id, label, row_flags = row
    fig = {"model": model, "row": row_id, "label": label}
    flags = tinyc_flags(row_flags, model_dir)
    fig["flags"] = " ".join(shlex.quote(f) for f in flags)
    work = os.path.join(args.work, model, row_id)
    try:
        cpp, rep, stdout = compile_row(args.tinyc, model, model_dir, flags, work)
    except RuntimeError as e:
        fig["error"] = f"tinyc failed: {e}"
        return fig
    t = rep["totals"]
    fig.update(weights_bytes=t["weights_bytes"], arena_bytes=t["arena_bytes"], macs=t["macs"])
    if row_id in SUMMARY_ROWS:
        fig["summary"] = summary_lines(stdout)
    x = np.load(os.path.join(model_dir, "test_x.npy"))
    y = np.load(os.path.join(model_dir, "test_y.npy"))
    n = min(len(x), args.host_samples) if args.host_samples else len(x)
    try:
        log(f"{model} {row_id}: host run, {n} samples")
        host = run_cortexm.build_and_run(cpp, [x[:n]], "host", work=os.path.join(work, "host"))
        out = benchmark.flat_outputs(host)
        fig["top1"], fig["top1_samples"] = float((out.argmax(1) == y[:n]).mean()), n
    except run_cortexm.ToolMissing as e:
        fig["host_error"] = str(e)
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
        fig["host_error"] = f"host run failed: {benchmark.first_error_line(str(e))}"
    try:
        log(f"{model} {row_id}: Cortex-M4 build + QEMU, {args.qemu_samples} samples")
        m4 = run_cortexm.build_and_run(cpp, [x[:args.qemu_samples]], "m4", work=os.path.join(work, "m4"))
        instr = m4["instructions"]
        fig["m4_instructions"] = sum(instr) / len(instr)
        fig["flash_bytes"] = m4["sizes"]["model"]["flash"]
    except run_cortexm.ToolMissing as e:
        fig["m4_error"] = str(e)
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
        fig["m4_error"] = f"M4 run failed: {benchmark.first_error_line(str(e))}"
    return fig


def add_reductions(figs):
    """Figures of each row relative to the float row of its model."""
    base = {f["model"]: f for f in figs if f["row"] == "float"}
    for f in figs:
        if f["row"] == "float":
            continue
        b = base.get(f["model"], {})
        for key, out in (("weights_bytes", "weights_saved"), ("flash_bytes", "flash_saved"),
                         ("arena_bytes", "arena_saved")):
            if key in f and b.get(key):
                f[out] = 1 - f[key] / b[key]
        if "m4_instructions" in f and b.get("m4_instructions"):
            f["speedup"] = b["m4_instructions"] / f["m4_instructions"]
        if "top1" in f and "top1" in b:
            f["top1_change"] = 100 * (f["top1"] - b["top1"])
            f["top1_loss"] = -f["top1_change"]


# ---- formatting -----------------------------------------------------------------------


def pct_saved(v):
    return f"{-100 * v + 0.0:+.1f}%"  # + 0.0: no "-0.0%"


def get(fig, key, fmt):
    return fmt(fig[key]) if key in fig else DASH


def model_table(figs, notes):
    rows = ["| # | row | weights B | flash B | arena B | M4 instr/inference | top-1 "
            "| weights Δ | flash Δ | arena Δ | M4 speed-up | top-1 Δ (points) |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for f in figs:
        label = f["label"]
        for k in ("error", "host_error", "m4_error"):
            if k in f:
                label += " " + notes.ref(f[k])
        top1 = f"{100 * f['top1']:.2f}% ({f['top1_samples']})" if "top1" in f else DASH
        rows.append("| " + " | ".join([
            str(ROW_IDS.index(f["row"]) + 1), label,
            get(f, "weights_bytes", benchmark.fmt_int), get(f, "flash_bytes", benchmark.fmt_int),
            get(f, "arena_bytes", benchmark.fmt_int), get(f, "m4_instructions", benchmark.fmt_instr),
            top1,
        ] + (["base"] * 5 if f["row"] == "float" else [
            get(f, "weights_saved", pct_saved), get(f, "flash_saved", pct_saved),
            get(f, "arena_saved", pct_saved), get(f, "speedup", lambda v: f"{v:.2f}x"),
            get(f, "top1_change", lambda v: f"{v:+.2f}")])) + " |")
    return rows


def target_cell(f, key, threshold):
    if key not in f:
        return f"{DASH} (not measured)"
    v = f[key]
    if key == "top1_loss":
        return f"{'✔' if v <= threshold else '✘'} {v:.2f} points"
    ok = v >= threshold
    text = f"{100 * v:.1f}%" if key.endswith("_saved") else f"{v:.2f}x"
    return f"{'✔' if ok else '✘'} {text}"


def targets_table(figs, models):
    by = {(f["model"], f["row"]): f for f in figs}
    out = ["| target | model | row | check | measured |", "|---|---|---|---|---|"]
    for label, rows, checks in TARGETS:
        for model in models:
            for row in rows:
                f = by.get((model, row))
                if f is None:
                    continue  # row not selected
                for key, threshold, text in checks:
                    out.append(f"| {label} | {model} | {ROW_IDS.index(row) + 1}. {f['label']} "
                               f"| {text} | {target_cell(f, key, threshold)} |")
    return out


def tool_versions(tinyc):
    def first_line(cmd):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
            return (p.stdout or p.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "missing"
    commit = first_line(["git", "-C", ROOT, "describe", "--always", "--dirty"])
    return [f"tinyc: {first_line([tinyc, '--version'])} (commit {commit})",
            f"arm-none-eabi-gcc {benchmark.arm_gcc_version()}",
            f"host g++ {first_line(['g++', '-dumpfullversion'])}",
            first_line(["qemu-system-arm", "--version"]),
            f"Python {platform.python_version()}, numpy {np.__version__}"]


def render(figs, models, args, elapsed):
    notes = benchmark.Notes()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "tools/compression_table.py" + "".join(" " + shlex.quote(a) for a in args.argv)
    out = [
        "# tinyc compression table: int8 quantisation and pruning",
        "",
        f"Generated by `{cmd}` on {now} ({elapsed:.0f} s). Tools: "
        + "; ".join(tool_versions(args.tinyc)) + ".",
        "",
        "Weights and arena bytes from `tinyc --report`; flash = text + data of the model object "
        "alone (arm-none-eabi-g++ -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -O2, "
        "tools/run_cortexm.py); M4 instructions per inference under "
        "`qemu-system-arm -M mps2-an386 -icount shift=0` (instructions, not cycles; mean over "
        f"{args.qemu_samples} samples); top-1 of the generated code built for the host (g++, "
        "ASan/UBSan) over the held-out samples of the model (count in brackets). The reduction "
        "columns compare each row with the float row of the same model (negative = smaller); "
        "speed-up = float instructions / row instructions; top-1 change in points. "
        "Pruning is post-training without fine-tuning (docs/pruning.md); structured pruning with "
        "calibration data refits the layers after each removed channel by least squares. "
        "Unstructured pruning keeps the shapes: a layer gets a sparse kernel only where the cost "
        "model finds it smaller and faster (docs/sparse_kernels.md; at 50% none does, so rows 6 "
        "and 7 have the dense model's sizes and speed). Run from the repository root with tinyc "
        "built in build/.",
        "",
        "Rows (tinyc flags):",
        "",
    ]
    selected = [r for r in ROWS if r[0] in args.rows]
    for r in selected:
        flags = " ".join(tinyc_flags(r[2], "models/MODEL"))
        tinyc_cmd = "tinyc models/MODEL/model.onnx" + (" " + flags if flags else "")
        out.append(f"{ROW_IDS.index(r[0]) + 1}. {r[1]}: `{tinyc_cmd}`")
    if SUMMARY_ROWS & set(args.rows):
        out += ["", "The auto rows choose their per-layer fractions on the same held-out samples "
                "(`--val`) their top-1 is measured on, so that top-1 is optimistic for unseen "
                "data (the example models have no other labelled samples)."]
    for model in models:
        out += ["", f"## {model}", ""] + model_table([f for f in figs if f["model"] == model], notes)
    out += ["", "## Targets", "",
            "Verdicts computed from the figures above (✔ met, ✘ missed, — not measured).", ""]
    out += targets_table(figs, models)
    summaries = [f for f in figs if f.get("summary")]
    if summaries:
        out += ["", "## Per-layer choice of the auto rows", ""]
        for f in summaries:
            out += [f"{f['model']}, row {ROW_IDS.index(f['row']) + 1} ({f['label']}): tinyc's summary",
                    "", "```"] + f["summary"] + ["```", ""]
    if notes.items:
        out += ["", "## Notes", ""] + [f"{i + 1}. {t}" for i, t in enumerate(notes.items)]
    return "\n".join(out).rstrip("\n") + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    ap.add_argument("--rows", nargs="+", default=ROW_IDS, choices=ROW_IDS)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "compression.md"),
                    help="Markdown file to write ('-': print only)")
    ap.add_argument("--json", help="also write every figure to this JSON file")
    ap.add_argument("--tinyc", default=os.path.join(ROOT, "build", "tinyc"))
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "compression_work"))
    ap.add_argument("--qemu-samples", type=int, default=3, help="samples per QEMU run")
    ap.add_argument("--host-samples", type=int, help="top-1 on the first N samples only (default: all)")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    args.tinyc, args.work = os.path.abspath(args.tinyc), os.path.abspath(args.work)
    args.rows = [r for r in ROW_IDS if r in args.rows]  # table order
    if not os.path.exists(args.tinyc):
        raise SystemExit(f"compression_table: {args.tinyc} not found (build tinyc first)")
    start = time.time()
    figs = []
    for model in args.models:
        model_dir = os.path.join(ROOT, "models", model)
        for row in ROWS:
            if row[0] not in args.rows:
                continue
            t0 = time.time()
            log(f"{model} {row[0]} ({row[1]}) ...")
            fig = measure_row(args, model, model_dir, row)
            problems = [fig[k] for k in ("error", "host_error", "m4_error") if k in fig]
            log(f"{model} {row[0]}: {time.time() - t0:.0f} s"
                + ("; " + "; ".join(problems) if problems else ""))
            figs.append(fig)
    add_reductions(figs)
    text = render(figs, args.models, args, time.time() - start)
    benchmark.write_outputs(text, figs, args, log)
    floats = [f for f in figs if f["row"] == "float"]
    return 0 if all("m4_instructions" in f and "top1" in f for f in floats) else 1


if __name__ == "__main__":
    sys.exit(main())
