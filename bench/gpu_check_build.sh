#!/usr/bin/env bash
# Builds, here (no GPU needed), what bench/gpu_check.sh runs on a machine with an NVIDIA GPU:
# LeNet, AlexNet and VGG-11 compiled by cnngen for the CPU and for CUDA (weights as arguments), each
# linked into bench/gpu_runner.cpp with libstdc++ static, so that the GPU machine needs neither
# Halide nor Debian's packages, only an NVIDIA driver, a glibc as recent as this one, and Python
# with PyTorch for the comparison.
#   bash bench/gpu_check_build.sh [OUT_DIR]      (default: build/gpu-check)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/gpu-check}"
[ -x build/cnngen ] || bash tools/build.sh
mkdir -p "$out"
for model in lenet alexnet vgg11; do
  for device in cpu cuda; do
    target=host
    [ "$device" = cuda ] && target=x86-64-linux-avx2-cuda-cuda_capability_80
    [ "$device" = cpu ] && target=x86-64-linux-avx2
    build/cnngen "examples/$model/$model.net" -o "$out/${model}_$device.a" --target "$target" \
      --name "$model" 2>/dev/null
    g++ -O2 -std=c++17 -I"$out" -I/usr/include/halide14 -Iruntime -I. -Itests \
      -DCNNGEN_MODEL_HEADER="\"${model}_$device.h\"" -DCNNGEN_MODEL_ARGV="${model}_argv" \
      -DCNNGEN_MODEL_METADATA="${model}_metadata" \
      bench/gpu_runner.cpp build/libcnngen_dsl.a "$out/${model}_$device.a" \
      -static-libstdc++ -static-libgcc -lpthread -ldl -o "$out/${model}_$device"
    echo "gpu_check_build: $out/${model}_$device ($target)"
  done
done
