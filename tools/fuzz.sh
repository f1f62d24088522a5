#!/usr/bin/env bash
# Builds cnngen's libFuzzer targets with clang-14 (AddressSanitizer + UndefinedBehaviorSanitizer)
# and runs each for SECONDS seconds (default 30), starting from the seed corpora in the repository.
# Any crash, sanitizer report, leak or time-out fails the run and leaves the input in build-fuzz/.
#   bash tools/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
mkdir -p build-fuzz/corpus_model build-fuzz/corpus_weights build-fuzz/corpus_onnx
for target in fuzz_model fuzz_weights fuzz_onnx; do
  if [ ! build-fuzz/$target -nt tests/fuzz/$target.cpp ] || [ -n "$(find dsl onnx -newer build-fuzz/$target)" ]; then
    echo "fuzz: building $target"
    # The ONNX importer links Debian's libonnx (ONNX's own code, built without the sanitizers).
    extra=()
    [ "$target" = fuzz_onnx ] && extra=(onnx/*.cpp -DONNX_NAMESPACE=onnx -DONNX_ML=1 -lonnx -lonnx_proto -lprotobuf)
    clang++-14 -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -I. dsl/*.cpp tests/fuzz/$target.cpp "${extra[@]}" -o build-fuzz/$target
  fi
done
cd build-fuzz
run() {
  local target=$1
  shift
  local status=0
  ./"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$@" \
    > "$target.log" 2>&1 || status=$?
  local runs
  runs=$(grep -o "stat::number_of_executed_units: *[0-9]*" "$target.log" | grep -o "[0-9]*$" || echo "?")
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$target.log"
    echo "fuzz: $target FAILED after $runs executions (see build-fuzz/$target.log and the crash-* file)"
    exit 1
  fi
  echo "fuzz: $target ran $runs executions in ${seconds} s, clean"
}
# New inputs go to the first (writable) corpus directory; the seeds are only read.
run fuzz_model -max_len=8192 corpus_model ../tests/fuzz/seeds_model ../tests/diagnostics
run fuzz_weights -max_len=4096 corpus_weights ../tests/fuzz/seeds_weights
run fuzz_onnx -max_len=70000 corpus_onnx ../tests/onnx
