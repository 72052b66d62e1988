#!/usr/bin/env bash
# Quick start: sets up and builds tinyc, compiles the bundled handwritten-digit CNN
# (models/mnist_cnn) to C++, builds it into a Cortex-M4 firmware and runs it under QEMU
# (mps2-an386) on real held-out digits: predictions vs labels, flash/RAM, instructions per
# inference.   tools/demo.sh [NUMBER_OF_DIGITS]   (default 8)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-8}"

tools/bootstrap.sh

out=build/demo
mkdir -p "$out"
echo
echo "== tinyc models/mnist_cnn/model.onnx -> $out/digits.cpp"
if ! build/tinyc models/mnist_cnn/model.onnx -o "$out/digits.cpp" --name digits; then
  echo "demo: tinyc cannot compile the digit model yet (see the message above)" >&2
  exit 1
fi

# The digits to run, and a look at the first two.
/usr/bin/python3 - "$out" "$count" <<'PY'
import sys
import numpy as np
out, n = sys.argv[1], int(sys.argv[2])
x = np.load("models/mnist_cnn/test_x.npy")[:n]
np.save(f"{out}/digits_x.npy", x)
np.save(f"{out}/digits_y.npy", np.load("models/mnist_cnn/test_y.npy")[:n])
print(f"\n== {n} held-out digits; the first three, 2x2-pooled:")
rows = [x[i, 0].reshape(14, 2, 14, 2).max(axis=(1, 3)) for i in range(min(3, n))]
for r in range(14):
    print("   " + "    ".join("".join(" .:#"[min(3, int(v * 4))] for v in img[r]) for img in rows))
PY

echo
echo "== Cortex-M4 (QEMU mps2-an386, -icount shift=0)"
tools/run_cortexm.py "$out/digits.cpp" --input "$out/digits_x.npy" --labels "$out/digits_y.npy" \
  --target m4 --work "$out/m4"
