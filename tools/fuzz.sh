#!/usr/bin/env bash
# Builds cnngen's libFuzzer targets with clang-14 (AddressSanitizer + UndefinedBehaviorSanitizer)
# and runs them side by side for SECONDS seconds (default 30), starting from the seed corpora in the repository.
# Any crash, sanitizer report, leak or time-out fails the run and leaves the input in build-fuzz/.
#   bash tools/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
mkdir -p build-fuzz/corpus_model build-fuzz/corpus_weights build-fuzz/corpus_onnx build-fuzz/obj
flags=(-std=c++17 -O1 -gline-tables-only -fsanitize=address,undefined -fno-sanitize-recover=undefined -I. -DONNX_NAMESPACE=onnx
       -DONNX_ML=1)
# dsl/ and onnx/ compiled once for all targets, a file per core at a time, into two archives (the
# ONNX importer links Debian's libonnx, ONNX's own code built without the sanitizers).
if [ ! -e build-fuzz/obj/stamp ] || [ -n "$(find dsl onnx -newer build-fuzz/obj/stamp)" ]; then
  echo "fuzz: compiling dsl/ and onnx/"
  rm -f build-fuzz/obj/*.o build-fuzz/obj/*.a
  printf '%s\n' dsl/*.cpp onnx/*.cpp |
    xargs -P "$(nproc)" -I{} sh -c 'clang++-14 "$@" -fsanitize=fuzzer-no-link -c "$0" -o "build-fuzz/obj/$(echo "$0" | tr / _).o"' {} "${flags[@]}"
  ar rcs build-fuzz/obj/libdsl.a build-fuzz/obj/dsl_*.o
  ar rcs build-fuzz/obj/libonnx_import.a build-fuzz/obj/onnx_*.o
  touch build-fuzz/obj/stamp
fi
for target in fuzz_model fuzz_weights fuzz_onnx; do
  if [ ! build-fuzz/$target -nt tests/fuzz/$target.cpp ] || [ build-fuzz/obj/stamp -nt build-fuzz/$target ]; then
    echo "fuzz: building $target"
    libs=(build-fuzz/obj/libdsl.a)
    [ "$target" = fuzz_onnx ] && libs=(build-fuzz/obj/libonnx_import.a build-fuzz/obj/libdsl.a -lonnx -lonnx_proto -lprotobuf)
    clang++-14 "${flags[@]}" -fsanitize=fuzzer tests/fuzz/$target.cpp "${libs[@]}" -o build-fuzz/$target
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
# New inputs go to the first (writable) corpus directory; the seeds are only read. The three
# fuzzers run side by side, each for SECONDS of wall time (on two cores, two thirds of a core each:
# the whole step takes SECONDS, not twice or three times that); a failure in any fails the run.
run fuzz_model -max_len=8192 corpus_model ../tests/fuzz/seeds_model ../tests/diagnostics & model=$!
run fuzz_weights -max_len=4096 corpus_weights ../tests/fuzz/seeds_weights & weights=$!
run fuzz_onnx -max_len=70000 corpus_onnx ../tests/onnx & onnx=$!
failed=0
for job in "$model" "$weights" "$onnx"; do
  wait "$job" || failed=1
done
exit "$failed"
