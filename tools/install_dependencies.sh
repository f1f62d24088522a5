#!/usr/bin/env bash
# Installs everything cnngen needs from Debian 12's packages (run as root): the compiler stack
# (Halide 14, Boost, GoogleTest, CMake, zlib; ONNX's C++ library and its backend test data for the
# importer; clang-14 for fuzzing; the AArch64 cross compiler and
# qemu-user for the cross-compiled check of tools/integration_tests.sh; PoCL, an OpenCL device on
# the CPU, on which the tests run the GPU schedules), the Fashion-MNIST data, and
# PyTorch and NumPy for the tools that train LeNet and write golden data (building and testing
# cnngen never use them).
set -euo pipefail

packages=(
  cmake make g++ gcc pkg-config
  libhalide14-0-dev libboost-dev zlib1g-dev
  libonnx-dev libprotobuf-dev libonnx-testdata
  googletest libgtest-dev
  clang-14 libclang-rt-14-dev
  g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  pocl-opencl-icd ocl-icd-opencl-dev
  dataset-fashion-mnist
  python3-torch python3-torchvision python3-numpy
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_dependencies: all ${#packages[@]} packages are installed"
  exit 0
fi
echo "install_dependencies: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
