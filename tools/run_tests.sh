#!/usr/bin/env bash
# The README's second Quick start command: the whole test suite. Builds (if needed) and runs the
# GoogleTest suites under CTest, then cnngen as other builds use it (tools/integration_tests.sh:
# installed package, two models in one app, AArch64 under qemu), then the same suites built with
# AddressSanitizer and UndefinedBehaviorSanitizer, then the libFuzzer targets side by side for 60 seconds.
#   bash tools/run_tests.sh           everything (what CI runs)
#   bash tools/run_tests.sh --quick   the CTest suites only
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)")
if [ "${1:-}" = "--quick" ]; then
  exit 0
fi
echo "== integration: the installed package, two models in one app, AArch64 under qemu"
bash tools/integration_tests.sh
echo "== the test suite under AddressSanitizer and UndefinedBehaviorSanitizer"
bash tools/sanitizer_tests.sh
echo "== fuzzing"
bash tools/fuzz.sh 60
