#!/usr/bin/env bash
# The GPU check, on a machine with an NVIDIA GPU: runs the CUDA builds of LeNet, AlexNet and
# VGG-11 made by bench/gpu_check_build.sh, compares their outputs with the CPU builds' on the same
# inputs, and times them against PyTorch CUDA eager, in one table (bench/gpu_check.py). Needs Python
# with PyTorch (CUDA) and NumPy; finishes within 5 minutes.
#   bash bench/gpu_check.sh [BUILD_DIR]      (default: build/gpu-check)
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" bench/gpu_check.py "${1:-build/gpu-check}"
