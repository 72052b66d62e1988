"""What the benchmark smoke tests share: their command line, the tools they need, and a clean
place for the table they make."""
import argparse
import os
import shutil

SKIP = 77
TOOLS = ("arm-none-eabi-g++", "qemu-system-arm", "g++")


def setup(output_name):
    """Parses --tinyc/--work/--model; returns (args, path of the table to write), or
    (None, None) after printing why when a tool is missing (exit SKIP then)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinyc", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--model", default="mnist_cnn")
    a = ap.parse_args()
    for tool in TOOLS:
        if not shutil.which(tool):
            print(f"SKIPPED: {tool} not found")
            return None, None
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, output_name)
    if os.path.exists(out):
        os.remove(out)
    a.work = work
    return a, out
