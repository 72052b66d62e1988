#!/usr/bin/env bash
# Sets everything up, builds, and runs the whole test suite (unit, conformance, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/bootstrap.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
