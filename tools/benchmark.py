#!/usr/bin/python3
"""Float vs int8 benchmark of tinyc on the models of models/ and, when the shared folder is
there, on the real int8 MLPerf Tiny QDQ models (../shared/models/mlperf_tiny/*/model_qdq.onnx).

    tools/benchmark.py                          # everything, writes docs/results.md
    tools/benchmark.py --quick --models mnist_cnn --out /tmp/r.md

For every model and variant (float: the ONNX model as it is; int8: `tinyc --quantize int8
--calib calib.npy`, or the QDQ model itself) it measures
  - weights and arena bytes (tinyc --report), MACs;
  - flash (text + data) and RAM (data + bss) of the model object built with
    arm-none-eabi-g++ -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -O2 (tools/run_cortexm.py);
  - instructions per inference on Cortex-M4 and Cortex-M7 under QEMU (-icount shift=0:
    instructions, not cycles; mean over the samples run);
  - on the host (g++, ASan/UBSan): top-1 accuracy over the committed held-out samples where
    the model has labels (test_y.npy), agreement with onnxruntime's outputs where committed
    (ref_out.npy; test_out.npy of the QDQ models), and int8 against float.
A variant tinyc cannot build (e.g. --quantize not available) gets "n/a" and the reason.
Prints a Markdown table and writes it to --out (default docs/results.md), with the
issue-3 targets checked. Exit status: 0 when every float figure was measured, 1 otherwise.
"""
import argparse
import datetime
import glob
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
import run_cortexm  # noqa: E402

# Float counterparts (same layers, random weights) of the real int8 QDQ models.
ARCH_OF_QDQ = {"kws_dscnn": "kws_dscnn_arch", "ic_resnet8": "resnet8_arch",
               "vww_mbnet": "mobilenet_v1_025_arch", "ad_fcae": "fc_autoencoder_arch"}
DSCNN_TARGET = 7.85e6
WEIGHTS_TARGET, TOP1_LOSS_TARGET, SPEEDUP_TARGET = 0.74, 1.0, 3.0
CALIB_FROM_TEST = 64  # samples of test_x.npy used for calibration when there is no calib.npy


def log(msg):
    print(f"benchmark: {msg}", file=sys.stderr, flush=True)


def shared_dir():
    for d in (os.path.join(ROOT, "..", "shared"), os.path.join(ROOT, "..", "..", "shared")):
        p = os.path.join(d, "models", "mlperf_tiny")
        if os.path.isdir(p):
            return os.path.normpath(p)
    return None


class Case:
    """One model: where its files are and which variants to measure."""

    def __init__(self, name, onnx_path, x, y=None, ref=None, calib=None, calib_note="",
                 variants=("float", "int8"), float_of=None, source=""):
        self.name, self.onnx, self.x, self.y, self.ref = name, onnx_path, x, y, ref
        self.calib, self.calib_note, self.variants = calib, calib_note, variants
        self.float_of = float_of  # name of the model whose float figures this int8 one is compared with
        self.source = source


# Table order: small trained models, then the architectures, then the real int8 models.
ORDER = ["mnist_cnn", "ds_cnn_fashion", "kws_dscnn_arch", "resnet8_arch", "mobilenet_v1_025_arch",
         "fc_autoencoder_arch", "kws_dscnn", "ic_resnet8", "vww_mbnet", "ad_fcae"]


def order_key(path):
    name = os.path.basename(os.path.dirname(path))
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)


def find_cases(selected):
    cases = []
    for d in sorted(glob.glob(os.path.join(ROOT, "models", "*", "model.onnx")), key=order_key):
        folder = os.path.dirname(d)
        name = os.path.basename(folder)
        f = lambda n: os.path.join(folder, n) if os.path.exists(os.path.join(folder, n)) else None
        x = f("test_x.npy") or f("calib.npy")
        calib, note = f("calib.npy"), ""
        if not calib and x:
            note = f"calibrated on the first {CALIB_FROM_TEST} of the test samples"
        cases.append(Case(name, d, x, f("test_y.npy"), f("ref_out.npy"), calib, note,
                          source=f"models/{name}"))
    shared = shared_dir()
    if shared:
        for d in sorted(glob.glob(os.path.join(shared, "*", "model_qdq.onnx")), key=order_key):
            folder = os.path.dirname(d)
            name = os.path.basename(folder)
            f = lambda n: os.path.join(folder, n) if os.path.exists(os.path.join(folder, n)) else None
            cases.append(Case(name, d, f("test_in.npy"), None, f("test_out.npy"), None,
                              variants=("int8",), float_of=ARCH_OF_QDQ.get(name),
                              source="MLPerf Tiny int8 QDQ (shared folder)"))
    if selected:
        unknown = set(selected) - {c.name for c in cases}
        if unknown:
            raise SystemExit(f"benchmark: unknown model(s): {', '.join(sorted(unknown))} "
                             f"(known: {', '.join(c.name for c in cases)})")
        cases = [c for c in cases if c.name in selected]
    return cases


def first_error_line(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for l in lines:
        if "error" in l.lower() or "not " in l.lower():
            return l[:160]
    return (lines[0] if lines else "no output")[:160]


def compile_variant(tinyc, case, variant, work):
    """Runs tinyc; returns (cpp path, report dict, tinyc arguments) or raises
    RuntimeError(reason)."""
    os.makedirs(work, exist_ok=True)
    name = re.sub(r"\W", "_", case.name)
    cpp = os.path.join(work, f"{name}.cpp")
    report = os.path.join(work, "report.json")
    if os.path.exists(report):
        os.remove(report)  # never read a previous run's figures
    cmd = [tinyc, case.onnx, "-o", cpp, "--name", name, "--report", report]
    if variant == "int8" and case.variants != ("int8",):
        calib = case.calib
        if not calib:
            calib = os.path.join(work, "calib_from_test.npy")
            np.save(calib, np.load(case.x)[:CALIB_FROM_TEST])
        cmd += ["--quantize", "int8", "--calib", calib]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        msg = first_error_line(p.stdout + p.stderr).replace(work + os.sep, "").replace(ROOT + os.sep, "")
        what = "`tinyc --quantize int8`" if "--quantize" in cmd else "tinyc"
        msg = re.sub(r"\S+\.npy", "CALIB.npy", msg)  # one footnote for every model
        raise RuntimeError(f"{what} failed: {msg}")
    with open(report) as f:
        return cpp, json.load(f), " ".join(shlex.quote(os.path.relpath(c, ROOT) if os.path.exists(c) else c)
                                           for c in cmd[1:])


def int8_layer_count(report):
    """(compute layers running on int8, all compute layers): a layer computes when it has MACs
    or adds (Add/Mul/Softmax...); QuantizeLinear/DequantizeLinear and views do not count."""
    skip = {"QuantizeLinear", "DequantizeLinear", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
            "Identity", "Transpose"}
    total = int8 = 0
    for l in report.get("layers", []):
        if l["op"] in skip:
            continue
        total += 1
        int8 += l.get("output_dtype") in ("int8", "uint8") or (l["op"].startswith("Q") and l["op"] not in skip)
    return int8, total


def output_lsb(onnx_path):
    """Scale of the DequantizeLinear that produces the graph output (a QDQ model), or None."""
    try:
        import onnx
        from onnx import numpy_helper
        m = onnx.load(onnx_path)
        inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
        out = m.graph.output[0].name
        for n in m.graph.node:
            if out in n.output and n.op_type == "DequantizeLinear" and n.input[1] in inits:
                return float(np.asarray(inits[n.input[1]]).reshape(-1)[0])
    except Exception:  # noqa: BLE001 - the LSB is only a nicer unit
        return None
    return None


def flat_outputs(result):
    return np.stack([o[0].reshape(-1).astype(np.float64) for o in result["outputs"]])


def measure(tinyc, case, variant, work, args):
    """Figures of one model variant: a dict; missing figures are absent, reasons in 'na'."""
    fig = {"model": case.name, "variant": variant, "source": case.source}
    if case.variants == ("int8",):
        fig["variant_label"] = "int8 (QDQ model)"
    try:
        cpp, rep, cmd = compile_variant(tinyc, case, variant, os.path.join(work, case.name, variant))
    except RuntimeError as e:
        fig["na"] = str(e)
        return fig, None
    t = rep["totals"]
    fig.update(tinyc_args=cmd, macs=t["macs"], weights_bytes=t["weights_bytes"],
               arena_bytes=t["arena_bytes"])
    fig["zero_channels_removed"] = rep.get("pruning", {}).get("zero_channels_removed", 0)
    if variant == "int8":
        prec = rep.get("precision")  # tinyc's own count, when it reports one
        if prec and "int8_ops" in prec:
            fig["int8_layers"] = prec["int8_ops"]
            fig["compute_layers"] = prec["int8_ops"] + prec.get("float_fallback_ops", 0)
            fig["float_fallback"] = [l.get("op", "?") for l in prec.get("float_fallback", [])]
        else:
            fig["int8_layers"], fig["compute_layers"] = int8_layer_count(rep)
    if not case.x:
        fig["na_run"] = "no input samples"
        return fig, None
    x = np.load(case.x)
    n_eval = len(x) if not args.quick else min(len(x), args.quick_samples)
    host_out = None
    try:
        host = run_cortexm.build_and_run(cpp, [x[:n_eval]], "host",
                                         work=os.path.join(work, case.name, variant, "host"))
        host_out = flat_outputs(host)
        fig["eval_samples"] = n_eval
        if case.y:
            y = np.load(case.y)[:n_eval]
            fig["top1"] = float((host_out.argmax(1) == y).mean())
        if case.ref and not (variant == "int8" and case.variants != ("int8",)):
            ref = np.load(case.ref).reshape(len(np.load(case.ref)), -1)[:n_eval].astype(np.float64)
            d = np.abs(host_out - ref)
            fig["ref_max_abs_diff"] = float(d.max())
            if host_out.shape[1] < 100:
                fig["ref_top1_agree"] = int((host_out.argmax(1) == ref.argmax(1)).sum())
            lsb = output_lsb(case.onnx) if case.variants == ("int8",) else None
            if lsb:
                fig["ref_max_lsb"] = int(round(d.max() / lsb))
                fig["ref_lsb_differ"] = int((d > lsb / 2).sum())
                fig["ref_values"] = int(d.size)
    except run_cortexm.ToolMissing as e:
        fig["na_host"] = str(e)
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
        fig["na_host"] = f"host run failed: {first_error_line(str(e))}"
    for target in ("m4", "m7"):
        try:
            r = run_cortexm.build_and_run(cpp, [x[:args.qemu_samples]], target,
                                          work=os.path.join(work, case.name, variant, target))
            instr = r["instructions"]
            fig[f"{target}_instructions"] = sum(instr) / len(instr)
            if target == "m4":
                fig["flash_bytes"] = r["sizes"]["model"]["flash"]
                fig["ram_bytes"] = r["sizes"]["model"]["ram"]
        except run_cortexm.ToolMissing as e:
            fig[f"na_{target}"] = str(e)
        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
            fig[f"na_{target}"] = f"{target} run failed: {first_error_line(str(e))}"
    return fig, host_out


def compare_int8_to_float(fig, int8_out, float_out):
    n = min(len(int8_out), len(float_out))
    a, b = int8_out[:n], float_out[:n]
    fig["float_max_abs_diff"] = float(np.abs(a - b).max())
    fig["float_rel_rms"] = float(np.sqrt(((a - b) ** 2).mean()) / max(np.sqrt((b ** 2).mean()), 1e-30))
    if a.shape[1] < 100:
        fig["float_top1_agree"] = int((a.argmax(1) == b.argmax(1)).sum())
    fig["float_compared"] = n


# ---- formatting -----------------------------------------------------------------------


def fmt_int(v):
    return f"{int(v):,}"


def fmt_instr(v):
    return f"{v / 1e6:.2f} M" if v >= 1e5 else fmt_int(v)


class Notes:
    """Numbered footnotes, one per distinct reason."""

    def __init__(self):
        self.items = []

    def ref(self, text):
        if text not in self.items:
            self.items.append(text)
        return f"[{self.items.index(text) + 1}]"


def cell(fig, key, fmt, notes, na_keys):
    """The figure, or n/a with a footnote (once per row for a failed compile)."""
    if key in fig:
        return fmt(fig[key])
    for k in na_keys:
        if k in fig:
            if k == "na" and key != "macs":
                return "n/a"
            return "n/a " + notes.ref(fig[k])
    return "n/a"


def agreement(fig):
    parts = []
    if "ref_max_lsb" in fig:
        parts.append(f"ORT: max {fig['ref_max_lsb']} LSB ({fig['ref_lsb_differ']}/{fig['ref_values']} differ)")
    elif "ref_max_abs_diff" in fig:
        parts.append(f"ORT: max abs diff {fig['ref_max_abs_diff']:.2g}")
    if "ref_top1_agree" in fig:
        parts.append(f"top-1 {fig['ref_top1_agree']}/{fig['eval_samples']}")
    if "float_max_abs_diff" in fig:
        s = f"vs float: max abs diff {fig['float_max_abs_diff']:.2g}, rel. RMS {100 * fig['float_rel_rms']:.1f}%"
        if "float_top1_agree" in fig:
            s += f", top-1 {fig['float_top1_agree']}/{fig['float_compared']}"
        parts.append(s)
    return "; ".join(parts) or "-"


def agreement_cell(fig, notes):
    for k in ("na", "na_run", "na_host"):
        if k in fig:
            return "n/a " + notes.ref(fig[k])
    return agreement(fig)


def main_table(figs, notes):
    head = ("| model | variant | MACs | weights B | arena B | flash B | RAM B | M4 instr "
            "| M4 instr/MAC | M7 instr | int8 layers | top-1 | agreement |")
    rows = [head, "|" + "---|" * 2 + "---:|" * 10 + "---|"]
    compile_na = ["na"]
    run_na = compile_na + ["na_run"]
    for f in figs:
        int8_layers = (f"{f['int8_layers']}/{f['compute_layers']}" if "int8_layers" in f
                       else ("-" if f["variant"] == "float" else "n/a"))
        top1 = (f"{100 * f['top1']:.1f}% ({f['eval_samples']})" if "top1" in f else
                ("-" if "na" not in f else "n/a"))
        rows.append("| " + " | ".join([
            f["model"], f.get("variant_label", f["variant"]),
            cell(f, "macs", fmt_int, notes, compile_na),
            cell(f, "weights_bytes", fmt_int, notes, compile_na),
            cell(f, "arena_bytes", fmt_int, notes, compile_na),
            cell(f, "flash_bytes", fmt_int, notes, run_na + ["na_m4"]),
            cell(f, "ram_bytes", fmt_int, notes, run_na + ["na_m4"]),
            cell(f, "m4_instructions", fmt_instr, notes, run_na + ["na_m4"]),
            (f"{f['m4_instructions'] / f['macs']:.2f}" if f.get("macs") and "m4_instructions" in f
             else "n/a"),
            cell(f, "m7_instructions", fmt_instr, notes, run_na + ["na_m7"]),
            int8_layers, top1,
            "n/a" if "na" in f else agreement_cell(f, notes)]) + " |")
    return rows


def verdict(value, ok, text):
    return f"{text} {'pass' if ok else 'FAIL'}" if value is not None else "n/a"


def targets_table(figs):
    by = {(f["model"], f["variant"]): f for f in figs}
    rows = [f"| int8 model | float baseline | weights smaller (>= {100 * WEIGHTS_TARGET:.0f}%) "
            f"| top-1 loss (<= {TOP1_LOSS_TARGET:g} point) | M4 speed-up (>= {SPEEDUP_TARGET:g}x) "
            f"| M4 instructions (DS-CNN < {DSCNN_TARGET / 1e6:.2f} M) | model flash smaller |",
            "|---|---|---|---|---|---|---|"]
    for f in figs:
        if f["variant"] != "int8":
            continue
        base_name = f["model"] if (f["model"], "float") in by else ARCH_OF_QDQ.get(f["model"])
        base = by.get((base_name, "float"), {})
        w = s = loss = None
        if "weights_bytes" in f and "weights_bytes" in base:
            w = 1 - f["weights_bytes"] / base["weights_bytes"]
        if "m4_instructions" in f and "m4_instructions" in base:
            s = base["m4_instructions"] / f["m4_instructions"]
        if "top1" in f and "top1" in base:
            loss = 100 * (base["top1"] - f["top1"])
        flash = (f"{100 * (1 - f['flash_bytes'] / base['flash_bytes']):.1f}%"
                 if "flash_bytes" in f and "flash_bytes" in base else "n/a")
        is_dscnn = f["model"] in ("kws_dscnn", "kws_dscnn_arch")
        m4 = f.get("m4_instructions")
        rows.append("| " + " | ".join([
            f["model"], (f"{base_name} (float)" if base else "n/a"),
            verdict(w, w is not None and w >= WEIGHTS_TARGET, f"{100 * w:.1f}%" if w is not None else ""),
            verdict(loss, loss is not None and loss <= TOP1_LOSS_TARGET,
                    f"{loss:+.1f}" if loss is not None else "") if base_name and "top1" in base else "-",
            verdict(s, s is not None and s >= SPEEDUP_TARGET, f"{s:.2f}x" if s is not None else ""),
            (verdict(m4, m4 is not None and m4 < DSCNN_TARGET, fmt_instr(m4) if m4 else "")
             if is_dscnn else (fmt_instr(m4) if m4 else "n/a")), flash]) + " |")
    return rows


def arm_gcc_version():
    if not run_cortexm.shutil.which("arm-none-eabi-gcc"):
        return "missing"
    return subprocess.run(["arm-none-eabi-gcc", "-dumpversion"], capture_output=True, text=True).stdout.strip()


def render(figs, notes_extra, args, elapsed):
    notes = Notes()
    main = main_table(figs, notes)
    targets = targets_table(figs)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "tools/benchmark.py" + "".join(" " + shlex.quote(a) for a in args.argv)
    gcc = arm_gcc_version()
    out = [
        "# tinyc benchmark: float vs int8",
        "",
        f"Generated by `{cmd}` on {now} ({elapsed:.0f} s; {platform.machine()} host, "
        f"arm-none-eabi-gcc {gcc}). Instruction counts under QEMU -icount, not cycles: "
        "`qemu-system-arm -icount shift=0` on mps2-an386 (Cortex-M4) / mps2-an500 (Cortex-M7), "
        "SysTick-counted, mean over the samples run. Flash = text + data and RAM = data + bss "
        "of the model object alone (arm-none-eabi-g++ -mcpu=cortex-m4 -mthumb -mfloat-abi=hard "
        "-O2 -fno-exceptions -fno-rtti), so RAM is the arena plus any other static state. "
        "Top-1 and agreement come from host runs (g++ with ASan/UBSan) over the committed "
        "samples (count in brackets).",
        "",
    ] + main + [
        "",
        "Columns: weights/arena from `tinyc --report`; int8 layers = compute layers whose "
        "output is int8, of all compute layers (the rest run in float between "
        "DequantizeLinear and QuantizeLinear); agreement: with onnxruntime's outputs (ORT; "
        "`ref_out.npy`, or `test_out.npy` of the QDQ models, in output LSB) and, for int8, with "
        "tinyc's float build of the same model on the same samples. `*_arch` models have "
        "random weights: their top-1 means nothing and their int8-vs-float agreement is a "
        "pessimistic figure (random features differ little between inputs, so the class "
        "hangs on small differences that int8 rounding blurs); the QDQ models' agreement "
        "with onnxruntime is the correctness check of the int8 kernels.",
        "",
        "## Issue 3 targets",
        "",
        f"int8 against float on the same architecture (the QDQ models against their random-weight "
        f"`*_arch` counterpart, so only size and speed compare). Targets: weights >= "
        f"{100 * WEIGHTS_TARGET:.0f}% smaller, top-1 loss <= {TOP1_LOSS_TARGET:g} point, >= "
        f"{SPEEDUP_TARGET:g}x fewer M4 instructions, DS-CNN < {DSCNN_TARGET / 1e6:.2f} M M4 "
        "instructions per inference. Weights as `tinyc --report` counts them; the last column "
        "compares what the model object really occupies in flash (weights + code).",
        "",
    ] + targets
    if notes.items or notes_extra:
        out += ["", "## Notes", ""]
        out += [f"{i + 1}. {t}" for i, t in enumerate(notes.items)]
        out += [f"- {t}" for t in notes_extra]
    return "\n".join(out) + "\n"


def write_outputs(text, figs, args, say=None):
    """Prints the table, writes it to args.out (unless "-") and the figures to args.json."""
    print(text)
    if args.out != "-":
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)
        (say or log)(f"wrote {args.out}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figs, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", help="model names (folders of models/, QDQ folder names)")
    ap.add_argument("--quick", action="store_true", help="fewer samples (host and QEMU)")
    ap.add_argument("--quick-samples", type=int, default=16, help="host samples with --quick")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "results.md"),
                    help="Markdown file to write ('-': print only)")
    ap.add_argument("--json", help="also write every figure to this JSON file")
    ap.add_argument("--tinyc", default=os.path.join(ROOT, "build", "tinyc"))
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "benchmark_work"))
    ap.add_argument("--qemu-samples", type=int, help="samples per QEMU run (default 3, 1 with --quick)")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    if args.qemu_samples is None:
        args.qemu_samples = 1 if args.quick else 3
    if not os.path.exists(args.tinyc):
        raise SystemExit(f"benchmark: {args.tinyc} not found (run tools/bootstrap.sh)")
    start = time.time()
    cases = find_cases(args.models)
    figs, notes = [], []
    float_outputs = {}
    for case in cases:
        for variant in case.variants:
            log(f"{case.name} {variant} ...")
            t0 = time.time()
            fig, out = measure(args.tinyc, case, variant, os.path.abspath(args.work), args)
            if variant == "float" and out is not None:
                float_outputs[case.name] = out
            if variant == "int8" and out is not None and case.name in float_outputs:
                compare_int8_to_float(fig, out, float_outputs[case.name])
            log(f"{case.name} {variant}: {time.time() - t0:.0f} s "
                + ", ".join(f"{k}={v}" for k, v in fig.items() if k.startswith("na")))
            figs.append(fig)
        if case.calib_note and "int8" in case.variants:
            notes.append(f"{case.name}: no calib.npy, int8 {case.calib_note}.")
        for f in figs:
            if f["model"] == case.name and f.get("float_fallback") and f.get("int8_layers"):
                ops = sorted(set(f["float_fallback"]))
                notes.append(f"{case.name} {f['variant']}: ops left in float (no int8 kernel or "
                             "rule): " + ", ".join(f"{o} x{f['float_fallback'].count(o)}" for o in ops) + ".")
            if f["model"] == case.name and f.get("zero_channels_removed"):
                notes.append(f"{case.name} {f['variant']}: tinyc removed "
                             f"{f['zero_channels_removed']} all-zero channels (the model computes "
                             "them as constant 0), so its MACs, weights and instructions are those "
                             "of the smaller network; `--keep-zero-channels` compiles the dense one.")
            if f["model"] == case.name and f.get("int8_layers") == 0:
                notes.append(f"{case.name} {f['variant']}: no compute layer runs on int8 in this "
                             "build (all stay float between DequantizeLinear and QuantizeLinear), "
                             "so its figures are those of the float fallback.")
    if not shared_dir():
        notes.append("The MLPerf Tiny int8 QDQ models were not measured: ../shared/models/mlperf_tiny "
                     "is not present.")
    text = render(figs, notes, args, time.time() - start)
    write_outputs(text, figs, args)
    missing = [f"{f['model']}" for f in figs if f["variant"] == "float" and
               not all(k in f for k in ("weights_bytes", "arena_bytes"))]
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
