#!/usr/bin/python3
"""Smoke test of tools/benchmark.py: `--quick` on one small model must write a Markdown table
whose float row has real figures (MACs, weights, arena, flash, RAM, M4/M7 instructions,
top-1) and an int8 row that has either figures or "n/a" with a footnote giving the reason,
plus the issue-3 targets table.

    benchmark_smoke.py --tinyc build/tinyc --work DIR [--model mnist_cnn]
Exit 77 (skipped) when the Arm toolchain or QEMU is missing.
"""
import os
import re
import subprocess
import sys

import smoke_common

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NUMBER = re.compile(r"^[\d,.]+( M)?$")


def main():
    a, out = smoke_common.setup("results.md")
    if a is None:
        return smoke_common.SKIP
    work = a.work
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "benchmark.py"), "--quick",
                        "--models", a.model, "--tinyc", a.tinyc, "--work", os.path.join(work, "w"),
                        "--out", out], capture_output=True, text=True, timeout=300)
    print(p.stdout[-3000:], p.stderr[-3000:])
    failures = []
    if p.returncode != 0:
        failures.append(f"benchmark.py exited with {p.returncode}")
    text = open(out).read() if os.path.exists(out) else ""
    rows = {}
    header = None
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:2] == ["model", "variant"]:
            header = cells
        elif header and len(cells) == len(header) and cells[0] == a.model:
            rows[cells[1]] = dict(zip(header, cells))
    if "float" not in rows:
        failures.append(f"no float row for {a.model} in {out}")
    else:
        for col in ("MACs", "weights B", "arena B", "flash B", "RAM B", "M4 instr", "M7 instr"):
            if not NUMBER.match(rows["float"].get(col, "")):
                failures.append(f"float {col} is not a figure: {rows['float'].get(col)!r}")
        if not re.match(r"^\d+\.\d% \(\d+\)$", rows["float"].get("top-1", "")):
            failures.append(f"float top-1 is not a figure: {rows['float'].get('top-1')!r}")
        if not rows["float"].get("agreement", "").startswith("ORT: max abs diff"):
            failures.append(f"float agreement with onnxruntime missing: {rows['float'].get('agreement')!r}")
    # Once tinyc has --quantize, the int8 row must have figures; before, n/a with a reason.
    has_quantize = "--quantize" in subprocess.run([a.tinyc, "--help"], capture_output=True,
                                                  text=True).stdout
    int8 = next((r for v, r in rows.items() if v.startswith("int8")), None)
    if int8 is None:
        failures.append("no int8 row")
    elif has_quantize:
        for col in ("MACs", "weights B", "arena B", "flash B", "RAM B", "M4 instr", "M7 instr"):
            if not NUMBER.match(int8.get(col, "")):
                failures.append(f"int8 {col} is not a figure: {int8.get(col)!r}")
        if "vs float" not in int8.get("agreement", ""):
            failures.append(f"int8 agreement with float missing: {int8.get('agreement')!r}")
    elif not re.match(r"^n/a \[\d+\]$", int8["MACs"]):
        failures.append(f"int8 row has neither figures nor a reason: {int8}")
    if "## Issue 3 targets" not in text or "instructions under QEMU -icount, not cycles" not in text \
            .replace("Instruction counts", "instructions"):
        failures.append("the targets table or the machine note is missing")
    for f in failures:
        print(f"FAILED: {f}")
    if not failures:
        print(f"benchmark smoke test on {a.model}: PASSED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
