#!/usr/bin/env bash
# The README's first Quick start command: installs the dependencies, builds cnngen, compiles
# examples/lenet/lenet.net with its trained weights into lenet.a + lenet.h, links the example app
# and classifies the 10,000 Fashion-MNIST test images.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_dependencies.sh
bash tools/build.sh
echo
echo "$ build/cnngen examples/lenet/lenet.net --weights examples/lenet/lenet.safetensors -o build/lenet.a"
start=$(date +%s%N)
build/cnngen examples/lenet/lenet.net --weights examples/lenet/lenet.safetensors -o build/lenet.a
ms=$(( ($(date +%s%N) - start) / 1000000 ))
printf 'compiled in %d.%03d s: build/lenet.a (%d bytes) and build/lenet.h\n' $((ms / 1000)) $((ms % 1000)) "$(stat -c %s build/lenet.a)"
echo "$ build/examples/lenet/lenet_classify /usr/share/datasets/fashion-mnist"
build/examples/lenet/lenet_classify /usr/share/datasets/fashion-mnist
