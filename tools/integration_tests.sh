#!/usr/bin/env bash
# cnngen as other builds use it, in a temporary directory: installs it with cmake --install; builds
# tests/consumer (two models, one shared runtime) against the installed package and runs it; then
# cross-compiles the LeNet example for AArch64, runs it under qemu on the 10,000 Fashion-MNIST test
# images and checks that its predictions equal the x86-64 build's, and runs the plain-C test
# (tests/lenet_c_test.c: wrong buffers returned as error codes) built for AArch64 the same way.
# Run by tools/run_tests.sh.
#   bash tools/integration_tests.sh [--keep]   (--keep leaves the temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d /tmp/cnngen-integration.XXXXXX)
if [ "${1:-}" != "--keep" ]; then trap 'rm -rf "$work"' EXIT; else echo "integration: keeping $work"; fi
data=/usr/share/datasets/fashion-mnist
jobs=$(nproc)

bash tools/build.sh
cmake --install build --prefix "$work/prefix" >/dev/null

echo "== the installed package in a project of its own: two models in one app"
cmake -S tests/consumer -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" -j "$jobs" >/dev/null
"$work/consumer/two_models"

echo "== LeNet cross-compiled for AArch64, run under qemu, against the x86-64 build"
cmake -S examples/lenet -B "$work/lenet-aarch64" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" -DLENET_TARGET=arm-64-linux >/dev/null
cmake --build "$work/lenet-aarch64" -j "$jobs" >/dev/null
app="$work/lenet-aarch64/lenet_classify"
readelf -h "$app" | grep -q 'Machine:.*AArch64' || { echo "integration: $app is not an AArch64 program"; exit 1; }
# No zlib for arm64 here: the cross-built app reads the data gunzipped.
mkdir "$work/fashion-mnist"
for file in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  gunzip -c "$data/$file.gz" >"$work/fashion-mnist/$file"
done
qemu-aarch64 -L /usr/aarch64-linux-gnu "$app" "$work/fashion-mnist" --predictions "$work/aarch64.txt" | tail -2
build/examples/lenet/lenet_classify "$data" --predictions "$work/x86-64.txt" | tail -2
count=$(wc -l <"$work/x86-64.txt")
if [ "$count" -ne 10000 ] || ! cmp -s "$work/x86-64.txt" "$work/aarch64.txt"; then
  echo "integration: the AArch64 predictions differ from x86-64's ($count lines):"
  diff "$work/x86-64.txt" "$work/aarch64.txt" | head
  exit 1
fi
echo "integration: AArch64 and x86-64 predict the same class for all $count images"

echo "== the plain-C test on AArch64: golden logits, then wrong buffers returned as error codes"
halide_include=$(dirname "$(find /usr/include /usr/local/include -name HalideRuntime.h -print -quit)")
aarch64-linux-gnu-gcc -std=c99 -I"$halide_include" -I"$work/lenet-aarch64/lenet.cnngen" tests/lenet_c_test.c \
  "$work/lenet-aarch64/lenet.cnngen/lenet.a" "$work"/lenet-aarch64/cnngen_runtimes/*.a -lpthread -ldl -lm \
  -o "$work/lenet_c_test"
(cd tests && qemu-aarch64 -L /usr/aarch64-linux-gnu "$work/lenet_c_test")
