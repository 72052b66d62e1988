#!/usr/bin/python3
"""Memory-plan figures per model: arena, lower bound, every-buffer-separate total, model I/O.

    tools/arena_figures.py --tinyc build/tinyc MODEL.onnx... [--tinyc-arg=--io-in-arena]

Prints one Markdown table row per model (the docs/memory_planning.md table) and, with
--check-bound PCT, exits 1 when an arena exceeds its lower bound by more than PCT percent
(or when tinyc refuses a model, unless --skip-errors).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def figures(tinyc, model, extra):
    with tempfile.TemporaryDirectory() as d:
        rep = os.path.join(d, "r.json")
        p = subprocess.run([tinyc, model, "-o", os.path.join(d, "m.cpp"), "-q", "--report", rep,
                            *extra], capture_output=True, text=True)
        if p.returncode != 0:
            return None, (p.stderr.strip().splitlines() or ["?"])[-1]
        t = json.load(open(rep))["totals"]
        return t, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tinyc", required=True)
    ap.add_argument("--tinyc-arg", action="append", default=[])
    ap.add_argument("--check-bound", type=float, default=None, metavar="PCT")
    ap.add_argument("--skip-errors", action="store_true",
                    help="with --check-bound, models tinyc refuses do not fail the check")
    ap.add_argument("models", nargs="+")
    a = ap.parse_args()
    print("| model | arena B | lower bound B | arena / bound | every buffer separate B | "
          "model I/O B | RAM incl. I/O B |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    worst = 0.0
    errors = 0
    for m in a.models:
        t, why = figures(a.tinyc, m, a.tinyc_arg)
        label = os.path.relpath(m)
        if t is None:
            print(f"| {label} | error: {why} |")
            errors += 1
            continue
        ratio = t["arena_bytes"] / t["arena_lower_bound"] if t["arena_lower_bound"] else 1.0
        worst = max(worst, ratio)
        outside = t["arena_bytes"] + (0 if t["io_in_arena"] else t["io_bytes"])
        print(f"| {label} | {t['arena_bytes']:,} | {t['arena_lower_bound']:,} | {ratio:.3f} | "
              f"{t['arena_naive_bytes']:,} | {t['io_bytes']:,} | {outside:,} |")
    if a.check_bound is None:
        return 0
    print(f"{len(a.models) - errors} plans, the worst {100 * (worst - 1):.1f}% above its lower bound"
          + (f"; {errors} models refused" if errors else ""))
    if worst > 1 + a.check_bound / 100:
        print(f"FAILED: arena exceeds the lower bound by more than {a.check_bound}%")
        return 1
    if errors and not a.skip_errors:
        print("FAILED: tinyc refused a model")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
