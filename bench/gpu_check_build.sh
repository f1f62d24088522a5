#!/usr/bin/env bash
# Builds, here (no GPU needed), what bench/gpu_check.sh runs on a machine with an NVIDIA GPU: every
# example network (LeNet, AlexNet, VGG-11 and the modern CNNs) compiled by cnngen for the CPU and for
# CUDA (weights as arguments), each linked into bench/gpu_runner.cpp with libstdc++ static, so that
# the GPU machine needs neither Halide nor Debian's packages, only an NVIDIA driver, a glibc as
# recent as this one, and Python with PyTorch for the comparison. Each model's checked graph
# (`cnngen json`) goes beside its runners, so the GPU machine needs no cnngen to build PyTorch's copy.
#   bash bench/gpu_check_build.sh [OUT_DIR] [MODEL...]   (default: build/gpu-check, every model)
#   CNNGEN_BUILD=DIR picks the build holding cnngen and libcnngen_dsl.a (default: build)
# CNNGEN_GPU_TARGET / CNNGEN_CPU_TARGET override the targets (e.g. host-opencl for a dry run here).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/gpu-check}"
shift || true
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(lenet alexnet vgg11 nin googlenet resnet densenet resnet18 mobilenet_v2)
build="${CNNGEN_BUILD:-build}"
[ -x "$build/cnngen" ] || bash tools/build.sh
mkdir -p "$out"
for model in "${models[@]}"; do
  "$build/cnngen" json --color=never "examples/$model/$model.net" >"$out/$model.json"
  for device in cpu cuda; do
    target="${CNNGEN_CPU_TARGET:-x86-64-linux-avx2}"
    [ "$device" = cuda ] && target="${CNNGEN_GPU_TARGET:-x86-64-linux-avx2-cuda-cuda_capability_80}"
    "$build/cnngen" "examples/$model/$model.net" -o "$out/${model}_$device.a" --target "$target" \
      --name "$model" 2>/dev/null
    g++ -O2 -std=c++17 -I"$out" -I/usr/include/halide14 -Iruntime -I. -Itests \
      -DCNNGEN_MODEL_HEADER="\"${model}_$device.h\"" -DCNNGEN_MODEL_ARGV="${model}_argv" \
      -DCNNGEN_MODEL_METADATA="${model}_metadata" \
      bench/gpu_runner.cpp "$build/libcnngen_dsl.a" "$out/${model}_$device.a" \
      -static-libstdc++ -static-libgcc -lpthread -ldl -o "$out/${model}_$device"
    rm -f "$out/${model}_$device.a" "$out/${model}_$device.h" "$out/${model}_$device.hpp"
    strip "$out/${model}_$device"
    echo "gpu_check_build: $out/${model}_$device ($target)"
  done
done
