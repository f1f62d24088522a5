#!/usr/bin/env bash
# The README's second Quick start command: builds (if needed) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
cd build
ctest --output-on-failure -j "$(nproc)"
