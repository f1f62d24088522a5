#!/usr/bin/env bash
# Builds cnngen and its tests with AddressSanitizer and UndefinedBehaviorSanitizer in build-asan/
# and runs the whole test suite there. Any sanitizer report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# The differential corpus for the host alone: the sanitizers watch cnngen compiling each model;
# the other variants repeat the same compiler paths (the plain build runs all four). Golden tests
# for AlexNet and VGG-11 alone: the modern networks' compiler paths (blocks, batch norm, joins) are
# the corpus's block cases, and an instrumented cnngen takes minutes over each modern network. Their
# GPU builds for OpenCL alone (run on PoCL); LeNet's CUDA build still checks the error a CUDA
# library returns without a device.
# -O1 -g1 (line tables, enough for the reports' stack traces), as AddressSanitizer's documentation
# advises, rather than RelWithDebInfo's -O2 -g: on a 2-core Zen 3 the build took about 17 minutes
# of CI with those and 12 with these (GCC 12 with the sanitizers: shape_inference_test.cpp 127 s
# against 54, dsl/parser.cpp 84 against 25).
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCNNGEN_DIFFERENTIAL_VARIANTS=host \
  -DCNNGEN_GOLDEN_MODELS="alexnet;vgg11" -DCNNGEN_GPU_GOLDEN_APIS=opencl \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build-asan -j "$(nproc)"
cd build-asan
# Left to the plain build:
# - the autoscheduler tests: under the sanitizers they take 5 minutes of CI, almost all inside
#   Halide's (uninstrumented) autoscheduler plugins, while the cnngen code they reach (options,
#   lowering, the pipeline's estimates) runs in the other CLI and numerics tests;
# - the Winograd F(4×4, 3×3) and F(2×2, 5×5) numerics grids: 325 s of the run's 1168 test-seconds
#   (Intel Xeon, 2 cores), spent in Halide's JIT and the naive reference, while cnngen's Winograd
#   code (codegen/winograd.cpp, schedule_winograd.cpp) takes the tile as a parameter and runs
#   whole under the sanitizers in the F(2×2, 3×3) grid.
# - the ONNX fixtures' numerics (OnnxFixture): their time is Halide's JIT; the importer itself runs
#   under the sanitizers in the rest of onnx_import_test, in onnx_conformance_test and in fuzz_onnx.
# (The numerics tests JIT-compile for the host's vectors alone here, tests/cpu_test_targets.hpp, and
# each case of the grid with one form of its weights, embedded or arguments: embedded_forms in
# tests/layer_numerics_test.cpp.)
# The JIT-compiling executables run as shards of many tests each (tests/CMakeLists.txt,
# cnngen_sharded_test), so GoogleTest's filter leaves their tests out; ctest's -E the others'.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  GTEST_FILTER='-Autoschedulers.*:*Winograd5x5Numerics.*:*WinogradNumerics.F4*:*OnnxFixture.*' \
  ctest --output-on-failure -j "$(nproc)" -E 'Cli\.AutoscheduledCompile'
# Both leave them out silently; say so, so that the count above is not read as everything.
echo "sanitizer_tests: the autoscheduler tests, the F(4×4, 3×3) and F(2×2, 5×5) Winograd grids and the ONNX fixtures' numerics ran in the plain build only (see the comment in tools/sanitizer_tests.sh)"
