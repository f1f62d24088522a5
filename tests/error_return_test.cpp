// Errors are returned by default: with no handler installed, two models sharing one Halide runtime
// (LeNet with its weights embedded, LeNet with its weights as arguments) return the error code of a
// wrong buffer or a failed allocation through every entry point, the C++ header's Status carries
// Halide's message, each thread reads its own last message, and a handler the app installs itself
// wins. Nothing here includes cnngen/error_handler.hpp or calls install_error_handler().
#include "lenet.h"
#include "lenet.hpp"
#include "lenet_weight_arguments.h"
#include "lenet_weight_arguments.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "HalideRuntime.h"
#include "cnngen/tensor_buffer.hpp"

namespace cnngen::testing {
namespace {

constexpr int kClasses = 10;

/// LeNet on `batch` zero images whose width is `width` (28 is right): 0 or the error code.
int call_lenet(int batch, int width, int classes = kClasses) {
  std::vector<float> pixels(static_cast<std::size_t>(batch) * 28 * width), logits(batch * classes);
  auto input = tensor_buffer(pixels.data(), {batch, 1, 28, width});
  auto output = tensor_buffer(logits.data(), {batch, classes});
  return lenet(input, output);
}

/// The handler whose place the models' own call would take: the current one, left installed.
halide_error_handler_t current_handler() {
  halide_error_handler_t current = halide_set_error_handler(halide_default_error);
  halide_set_error_handler(current);
  return current;
}

std::atomic<int> app_handler_calls{0};
void count_errors(void *, const char *) { ++app_handler_calls; }

// With nothing installed, a wrong width is an error code and a message on this thread; the model
// installed cnngen's handler itself, and the next good call works.
TEST(ErrorReturn, WrongBufferIsACodeWithNothingInstalled) {
  cnngen_clear_last_error();
  EXPECT_EQ(call_lenet(2, 27), halide_error_code_access_out_of_bounds);
  EXPECT_NE(std::string(cnngen_last_error()).find("input is accessed at 27"), std::string::npos)
      << cnngen_last_error();
  EXPECT_EQ(current_handler(), &cnngen_record_error);
  EXPECT_EQ(call_lenet(2, 28), 0) << cnngen_last_error();
}

void *no_memory(void *, std::size_t) { return nullptr; }

// Working memory that cannot be allocated (a halide_malloc that fails) is an error code too.
TEST(ErrorReturn, FailedAllocationIsACode) {
  halide_malloc_t previous = halide_set_custom_malloc(no_memory);
  cnngen_clear_last_error();
  int code = call_lenet(2, 28);
  halide_set_custom_malloc(previous);
  EXPECT_EQ(code, halide_error_code_out_of_memory);
  EXPECT_NE(std::string(cnngen_last_error()).find("Out of memory"), std::string::npos)
      << cnngen_last_error();
  EXPECT_EQ(call_lenet(2, 28), 0) << cnngen_last_error();
}

// The _argv entry point (what tools and other languages call) returns the code as well.
TEST(ErrorReturn, ArgvEntryPointReturnsTheCode) {
  std::vector<float> pixels(2 * 28 * 28), logits(2 * kClasses);
  auto input = tensor_buffer(pixels.data(), {2, 1, 28, 28});
  auto output = tensor_buffer(logits.data(), {2, 9});
  void *args[] = {input.raw_buffer(), output.raw_buffer()};
  cnngen_clear_last_error();
  EXPECT_EQ(lenet_argv(args), halide_error_code_access_out_of_bounds);
  EXPECT_NE(std::string(cnngen_last_error()).find("lenet_output is accessed at 9"), std::string::npos)
      << cnngen_last_error();
}

// The C++ header's typed call returns Halide's message in its Status. A batch of 2^22 images is
// more than Halide's 32-bit indexing allows: refused by the buffer checks before anything is read.
TEST(ErrorReturn, CppStatusCarriesTheMessage) {
  std::vector<float> pixels(lenet_model::kInputSize), logits(lenet_model::kOutputSize);
  lenet_model::Status status = lenet_model::infer(pixels.data(), 1 << 22, logits.data());
  EXPECT_FALSE(status);
  EXPECT_NE(status.message.find("input"), std::string::npos) << status.message;
  std::printf("Status: %d (%s), \"%s\"\n", status.code, status.name(), status.message.c_str());
  lenet_model::Status refused = lenet_model::infer(nullptr, 1, logits.data());
  EXPECT_EQ(refused.code, halide_error_code_buffer_argument_is_null);
  EXPECT_FALSE(refused.message.empty());
  lenet_model::Status good = lenet_model::infer(pixels.data(), 1, logits.data());
  EXPECT_TRUE(good) << good.message;
  EXPECT_TRUE(good.message.empty()) << good.message;
}

// Two threads fail at the same time in different ways; each reads its own message, and the main
// thread's stays empty.
TEST(ErrorReturn, EachThreadReadsItsOwnMessage) {
  cnngen_clear_last_error();
  for (int round = 0; round < 20; ++round) {
    std::atomic<int> failed{0};
    int codes[2] = {0, 0};
    std::string messages[2];
    auto worker = [&](int which) {
      cnngen_clear_last_error();
      codes[which] = which == 0 ? call_lenet(2, 27) : call_lenet(3, 28, 9);
      ++failed;
      while (failed < 2) std::this_thread::yield();  // both have failed before either reads
      messages[which] = cnngen_last_error();
    };
    std::thread first(worker, 0), second(worker, 1);
    first.join();
    second.join();
    EXPECT_EQ(codes[0], halide_error_code_access_out_of_bounds);
    EXPECT_EQ(codes[1], halide_error_code_access_out_of_bounds);
    EXPECT_NE(messages[0].find("input is accessed at 27"), std::string::npos) << messages[0];
    EXPECT_NE(messages[1].find("lenet_output is accessed at 9"), std::string::npos) << messages[1];
  }
  EXPECT_STREQ(cnngen_last_error(), "");
}

// An app's handler installed after the models' first call wins from then on; the code is still
// returned, and cnngen's message is not written.
TEST(ErrorReturn, AppHandlerInstalledLaterWins) {
  ASSERT_EQ(call_lenet(1, 27), halide_error_code_access_out_of_bounds);
  halide_error_handler_t previous = halide_set_error_handler(count_errors);
  app_handler_calls = 0;
  cnngen_clear_last_error();
  EXPECT_EQ(call_lenet(1, 27), halide_error_code_access_out_of_bounds);
  EXPECT_EQ(call_lenet(1, 26), halide_error_code_access_out_of_bounds);
  EXPECT_EQ(app_handler_calls, 2);
  EXPECT_STREQ(cnngen_last_error(), "");
  EXPECT_EQ(current_handler(), &count_errors);
  std::vector<float> pixels(lenet_model::kInputSize), logits(lenet_model::kOutputSize);
  lenet_model::Status status = lenet_model::infer(pixels.data(), 1 << 22, logits.data());
  EXPECT_FALSE(status);
  EXPECT_NE(status.message.find("own error handler"), std::string::npos) << status.message;
  halide_set_error_handler(previous);
}

// An app's handler installed before any model runs stays: checked in a fresh process (gtest's
// threadsafe death test runs this test's binary again), where no model has run yet.
TEST(ErrorReturnDeathTest, AppHandlerInstalledFirstWins) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        halide_set_error_handler(count_errors);
        int code = call_lenet(1, 27);
        bool kept = current_handler() == &count_errors;
        bool ok = code == halide_error_code_access_out_of_bounds && app_handler_calls == 1 && kept &&
                  *cnngen_last_error() == '\0';
        std::fprintf(stderr, "code %d, handler calls %d, handler kept %d\n", code,
                     app_handler_calls.load(), kept);
        std::exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "code -?[0-9]+");
}

// A second model in the same app, on the same runtime: after a call with a misshapen weight (its
// code and message are lenet_weight_arguments_test's MisshapenWeightIsAnErrorCode), a call with the
// right shapes runs (zero weights: zero logits), and the first model still returns its codes.
TEST(ErrorReturn, SecondModelOnTheSharedRuntime) {
  std::vector<float> pixels(28 * 28), logits(kClasses, 1.0f), zeros(48000);
  auto input = tensor_buffer(pixels.data(), {1, 1, 28, 28});
  auto output = tensor_buffer(logits.data(), {1, kClasses});
  auto w = [&](std::initializer_list<int> shape) { return tensor_buffer(zeros.data(), shape); };
  auto call = [&](int first_kernel) {
    return lenet_weight_arguments(input, w({6, 1, first_kernel, first_kernel}), w({6}), w({16, 6, 5, 5}),
                                  w({16}), w({120, 400}), w({120}), w({84, 120}), w({84}), w({10, 84}),
                                  w({10}), output);
  };
  ASSERT_NE(call(3), 0);
  EXPECT_EQ(call(5), 0) << cnngen_last_error();
  EXPECT_EQ(logits, std::vector<float>(kClasses, 0.0f));
  EXPECT_EQ(call_lenet(1, 27), halide_error_code_access_out_of_bounds);
  EXPECT_EQ(call_lenet(1, 28), 0) << cnngen_last_error();
}

}  // namespace
}  // namespace cnngen::testing
