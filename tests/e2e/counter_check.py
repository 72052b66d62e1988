#!/usr/bin/python3
"""Checks the SysTick instruction counter under QEMU (-icount shift=0) against loops of known
instruction counts, one of them long enough to wrap SysTick: each count must be within
2 ticks (80 instructions) of the truth.   counter_check.py --target m4|m7 --work DIR
Exit 77 (skipped) when the arm toolchain or QEMU is missing."""
import argparse
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import run_cortexm  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", choices=["m4", "m7"], required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if not shutil.which(tool):
            print(f"SKIPPED: {tool} not found")
            return 77
    t = run_cortexm.TARGETS[a.target]
    stub = run_cortexm.STUB
    work = os.path.join(os.path.abspath(a.work), f"counter_{a.target}")
    os.makedirs(work, exist_ok=True)
    elf = os.path.join(work, "counter.elf")
    srcs = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "counter_check.c")] + [
        os.path.join(stub, f) for f in ("startup_cortexm.c", "semihosting.c", "instr_counter.c", "text_out.c")]
    subprocess.run(["arm-none-eabi-gcc"] + t["flags"] + ["-O2", "-Wall", "-Wextra", "-Werror", "-I", stub]
                   + srcs + ["-nostartfiles", "--specs=nano.specs", "-L", stub, "-T", t["ld"], "-o", elf],
                   check=True)
    p = subprocess.run(["qemu-system-arm", "-M", t["machine"], "-nographic", "-monitor", "none",
                        "-serial", "none", "-semihosting-config", "enable=on,target=native",
                        "-icount", "shift=0", "-kernel", elf], capture_output=True, text=True, timeout=120)
    text = p.stdout + p.stderr
    rows = re.findall(r"loop (\d+) expected (\d+) counted (\d+)", text)
    ok = p.returncode == 0 and len(rows) == 2
    for it, expected, counted in rows:
        err = int(counted) - int(expected)
        good = abs(err) <= 2 * 40
        ok &= good
        print(f"{a.target}: {int(it):>11,} iterations: expected {int(expected):>13,}, counted "
              f"{int(counted):>13,} ({err:+d}) {'ok' if good else 'WRONG'}")
    if not ok:
        print(f"FAILED (QEMU exit {p.returncode}):\n{text[-2000:]}")
        return 1
    print("PASSED: 40 instructions per SysTick tick, wraps counted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
