// Errors are returned by default by LeNet built for other targets (compiled once per library, with
// CNNGEN_TARGET_MODEL naming the generated function): a GPU library (host-cuda) called where no
// driver reports a device returns a code and a message instead of aborting, again on the next
// call; a multi-target library returns the code of a wrong buffer through its dispatcher and
// through a target's own entry point. Nothing is installed: the models do it on their first call.
#include CNNGEN_TARGET_MODEL_HEADER
#include CNNGEN_TARGET_MODEL_CPP_HEADER

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "HalideRuntime.h"
#include "cnngen/gpu_device.hpp"
#include "cnngen/tensor_buffer.hpp"

#define CNNGEN_CONCAT(a, b) CNNGEN_CONCAT_(a, b)
#define CNNGEN_CONCAT_(a, b) a##b

#ifdef CNNGEN_MULTITARGET_BASELINE
// The multi-target library's baseline x86-64 entry point, which every x86-64 CPU runs (see
// lenet_multitarget_test.cpp for why it takes an assembler name).
extern "C" int baseline_entry(halide_buffer_t *, halide_buffer_t *)
    __asm__("\"lenet_multitarget-x86-64-linux-disable_llvm_loop_opt-no_runtime\"");
#endif

namespace cnngen::testing {
namespace {

constexpr int kClasses = 10;
using Entry = int (*)(halide_buffer_t *, halide_buffer_t *);

const char *model_target() { return CNNGEN_CONCAT(CNNGEN_TARGET_MODEL, _metadata)()->target; }

int call(Entry entry, int width) {
  std::vector<float> pixels(2 * 28 * width, 0.5f), logits(2 * kClasses);
  auto input = tensor_buffer(pixels.data(), {2, 1, 28, width});
  auto output = tensor_buffer(logits.data(), {2, kClasses});
  cnngen_clear_last_error();
  return entry(input, output);
}

// A good call runs where the target's device is present; where none is, it is a code and a
// message, twice (the app goes on), also through the C++ header's Status.
TEST(ErrorReturnOnTarget, GoodCallRunsOrSaysWhyNot) {
  GpuDevice device = device_for_target(model_target());
  std::printf("target %s, device: %s\n", model_target(), device.name.c_str());
  for (int round = 0; round < 2; ++round) {
    int code = call(CNNGEN_TARGET_MODEL, 28);
    if (device.present) {
      EXPECT_EQ(code, 0) << cnngen_last_error();
    } else {
      EXPECT_NE(code, 0);
      EXPECT_STRNE(cnngen_last_error(), "");
      std::printf("call %d without a device: %d, \"%s\"\n", round, code, cnngen_last_error());
    }
  }
  std::vector<float> pixels(28 * 28), logits(kClasses);
  auto status = CNNGEN_CONCAT(CNNGEN_TARGET_MODEL, _model)::infer(pixels.data(), 1, logits.data());
  EXPECT_EQ(bool(status), device.present) << status.message;
  if (!device.present) {
    EXPECT_FALSE(status.message.empty());
  }
}

// A wrong width is refused with a code and a message, with or without a device.
TEST(ErrorReturnOnTarget, WrongBufferIsACode) {
  EXPECT_NE(call(CNNGEN_TARGET_MODEL, 27), 0);
  EXPECT_STRNE(cnngen_last_error(), "");
#ifdef CNNGEN_MULTITARGET_BASELINE
  EXPECT_EQ(call(baseline_entry, 27), halide_error_code_access_out_of_bounds);
  EXPECT_NE(std::string(cnngen_last_error()).find("input is accessed at 27"), std::string::npos)
      << cnngen_last_error();
  EXPECT_EQ(call(baseline_entry, 28), 0) << cnngen_last_error();
#endif
}

}  // namespace
}  // namespace cnngen::testing
