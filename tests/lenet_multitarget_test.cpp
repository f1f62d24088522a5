// LeNet built as one library for three x86-64 targets (AVX-512, AVX2, baseline), which picks the
// best this CPU runs, against PyTorch's golden logits.
#include "lenet_multitarget.h"

#include <gtest/gtest.h>

#include "cnngen/tensor_buffer.hpp"
#include "golden_data.hpp"

// Each target's own entry point, which the dispatcher above chooses among. Halide names them with
// the target string (with the disable_llvm_loop_opt that cnngen adds and the no_runtime that
// cnngen_add_model adds), which C cannot spell, hence the assembler names.
extern "C" {
int lenet_avx512(halide_buffer_t *, halide_buffer_t *)
    __asm__("\"lenet_multitarget-x86-64-linux-avx512-disable_llvm_loop_opt-no_runtime\"");
int lenet_avx2(halide_buffer_t *, halide_buffer_t *)
    __asm__("\"lenet_multitarget-x86-64-linux-avx2-disable_llvm_loop_opt-no_runtime\"");
int lenet_baseline(halide_buffer_t *, halide_buffer_t *)
    __asm__("\"lenet_multitarget-x86-64-linux-disable_llvm_loop_opt-no_runtime\"");
}

namespace cnngen::testing {
namespace {

using Entry = int (*)(halide_buffer_t *, halide_buffer_t *);

void expect_golden_logits(Entry entry) {
  IdxFile images = read_golden_idx("golden/lenet_images.idx");
  std::vector<float> golden = read_golden_logits("golden/lenet_logits.txt");
  const int count = images.dims[0];
  ASSERT_EQ(golden.size(), static_cast<std::size_t>(count) * kLenetClasses);
  std::vector<float> pixels = unit_floats(images);
  std::vector<float> logits(golden.size());
  auto input = tensor_buffer(pixels.data(), {count, 1, 28, 28});
  auto output = tensor_buffer(logits.data(), {count, kLenetClasses});
  ASSERT_EQ(entry(input, output), 0);
  expect_logits_match(logits, golden);
}

// Whichever target the library picks on this CPU, the logits match PyTorch's.
TEST(LenetMultitarget, LogitsMatchPyTorch) { expect_golden_logits(lenet_multitarget); }

// So do those of each target this CPU can run.
TEST(LenetMultitarget, EveryTargetMatchesPyTorch) {
  expect_golden_logits(lenet_baseline);
  if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "this CPU has no AVX2";
  expect_golden_logits(lenet_avx2);
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "this CPU has no AVX-512";
  expect_golden_logits(lenet_avx512);
}

}  // namespace
}  // namespace cnngen::testing
