#!/usr/bin/env bash
# The GPU check, on a machine with an NVIDIA GPU: runs the CUDA builds of every example network made
# by bench/gpu_check_build.sh, compares their outputs with PyTorch's (and the CPU builds') on the
# same inputs, and times them against PyTorch CUDA eager, in one table (bench/gpu_check.py); then,
# where Nsight Compute (ncu) is installed, times each kernel of AlexNet, VGG-11 and torchvision's
# ResNet-18 at batch 1 and prints the kernels that take the most time (bench/gpu_kernel_times.py).
# Needs Python with PyTorch (CUDA) and NumPy. On an H200 the whole check took 2.5 minutes with
# --no-cpu-build (that machine's CPU ran the CPU builds 15× slower than a 2-core EPYC).
#   bash bench/gpu_check.sh [BUILD_DIR] [gpu_check.py options, e.g. --no-cpu-build]
#   OUT=DIR keeps the logs there (default: BUILD_DIR)
set -uo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/gpu-check}"
shift || true
logs="${OUT:-$build}"
python="${PYTHON:-python3}"
PYTHONUNBUFFERED=1 "$python" bench/gpu_check.py "$build" "$@" 2>&1 | tee "$logs/gpu_check.log"
status=${PIPESTATUS[0]}
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
if [ -z "$ncu" ]; then
  echo "gpu_check: no ncu here: kernel times skipped"
  exit "$status"
fi
for model in alexnet vgg11 resnet18; do
  # One metric, one pass per kernel; 80 launches cover a call or more of each network.
  timeout 60 "$ncu" --clock-control none --metrics gpu__time_duration.sum --launch-count 80 \
    "$build/${model}_cuda" "examples/$model/$model.net" --batch 1 --seconds 0 --output "/tmp/${model}_ncu.f32" \
    >"$logs/${model}_ncu.txt" 2>&1 || echo "gpu_check: ncu on $model failed (see $logs/${model}_ncu.txt)"
  "$python" bench/gpu_kernel_times.py "$logs/${model}_ncu.txt" || true
done
exit "$status"
