#!/usr/bin/env bash
# Installs tinyc from BUILD_DIR into a fresh prefix, configures and builds
# tools/example_firmware against it (find_package(tinyc), tinyc_add_model, arm toolchain
# file), and runs the firmware under QEMU when present. Exit 77 = skipped (missing tool).
#   cmake_example.sh BUILD_DIR WORK_DIR MODEL.onnx [cortex-m4|cortex-m7]
set -euo pipefail
build=$1 work=$2 model=$3 cpu=${4:-cortex-m4}
src="$(cd "$(dirname "$0")/../.." && pwd)/tools/example_firmware"

for tool in arm-none-eabi-gcc arm-none-eabi-g++ cmake; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not found"; exit 77; }
done
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
test -x "$work/prefix/bin/tinyc"
cmake -S "$src" -B "$work/fw" "${generator[@]}" \
  -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_TOOLCHAIN_FILE="$work/prefix/lib/cmake/tinyc/arm-none-eabi.cmake" \
  -DTINYC_ARM_CPU="$cpu" -DEXAMPLE_MODEL="$model" >"$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
if ! cmake --build "$work/fw" >"$work/build.log" 2>&1; then
  reason=$(grep -m1 "not supported" "$work/build.log" || true)
  if [ -n "$reason" ]; then
    echo "SKIPPED: tinyc does not support this model yet: $reason"
    exit 77
  fi
  cat "$work/build.log"
  exit 1
fi
tail -n 3 "$work/build.log"

if ! command -v qemu-system-arm >/dev/null; then
  echo "built $work/fw/example_fw.elf; qemu-system-arm missing, not run"
  exit 0
fi
board=mps2-an386
[ "$cpu" = cortex-m7 ] && board=mps2-an500
# Semihosting output arrives on stderr (QEMU 7.2).
out=$(timeout 60 qemu-system-arm -M "$board" -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native -icount shift=0 -kernel "$work/fw/example_fw.elf" 2>&1)
echo "$out"
grep -q "net_run rc=0" <<<"$out" || { echo "FAILED: the firmware did not report rc=0"; exit 1; }
echo "PASSED: installed tinyc, built and ran the example firmware ($cpu on $board)"
