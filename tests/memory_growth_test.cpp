// Many calls in a row keep resident memory constant: 100,000 calls of LeNet and 20 of VGG-11
// (weights as arguments; CNNGEN_VGG11_CALLS=200 runs the 200, 3 to 5 minutes on 2 cores),
// each at batch 1, with the process's resident set size (/proc/self/statm) sampled after a
// warm-up. A leak shows as growth: LeNet's bound (1 MiB over 100,000 calls) catches anything above
// ~10 bytes a call; VGG-11's (2 MiB over 20 calls) any lost working buffer (the smallest is
// 112 KiB). Smaller leaks are LeakSanitizer's to find: in the ASan build
// (tools/sanitizer_tests.sh), where ASan's quarantine keeps freed memory resident, the test asks
// LeakSanitizer for leaks after the calls instead of bounding the resident set. In the plain build
// resident memory is steady to the page: measured +0 KiB after 100,000 LeNet and 200 VGG-11 calls.
#include "lenet.h"
#include "vgg11_weight_arguments.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "check_source.hpp"
#include "deterministic_arguments.hpp"

#include "under_asan.hpp"
#ifdef CNNGEN_UNDER_ASAN
#include <sanitizer/lsan_interface.h>
#endif

namespace cnngen::testing {
namespace {

constexpr long kLenetCalls = 100000, kLenetWarmup = 1000, kLenetSamples = 10;
constexpr long kVggWarmup = 3, kVggSamples = 10;
constexpr long kLenetTolerance = 1L << 20, kVggTolerance = 2L << 20;

/// VGG-11 takes about a second a call on 2 cores (it allocates and fills 0.5 GB each time); under
/// ASan, two, and LeakSanitizer sees a leak in one call.
long vgg_calls() {
  const char *calls = std::getenv("CNNGEN_VGG11_CALLS");
#ifdef CNNGEN_UNDER_ASAN
  const long default_calls = 10;
#else
  const long default_calls = 20;
#endif
  return calls ? std::max(10L, std::atol(calls)) : default_calls;
}

/// The process's resident set size in bytes.
long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

/// Calls `call` `warmup` times, then `calls` times with the resident set sampled `samples` times,
/// and checks that it never grows more than `tolerance` bytes above its level after the warm-up.
/// `call` returns false on a failed or wrong call.
template <typename Call>
void expect_constant_memory(const char *what, long warmup, long calls, long samples, long tolerance,
                            Call call) {
  auto started = std::chrono::steady_clock::now();
  long failures = 0;
  for (long i = 0; i < warmup; ++i) failures += !call();
  const long baseline = resident_bytes();
  long highest = baseline;
  for (long i = 1; i <= calls; ++i) {
    failures += !call();
    if (i % (calls / samples) == 0) highest = std::max(highest, resident_bytes());
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "%s: %ld calls in %.1f s; resident %.1f MiB after the warm-up, at most %+ld KiB later\n",
      what, warmup + calls, seconds, baseline / 1048576.0, (highest - baseline) / 1024);
  EXPECT_EQ(failures, 0) << what << ": calls that failed or gave another result";
#ifdef CNNGEN_UNDER_ASAN
  (void)tolerance;
  std::printf(
      "under ASan: no bound on resident memory (the quarantine holds freed memory), a leak "
      "check\n");
  EXPECT_EQ(__lsan_do_recoverable_leak_check(), 0) << what << ": LeakSanitizer found leaks";
#else
  EXPECT_LE(highest - baseline, tolerance)
      << what << ": resident memory grew from " << baseline << " to " << highest << " bytes";
#endif
}

// 100,000 calls of LeNet at batch 1: same logits every time, constant resident memory.
TEST(MemoryGrowth, LenetHundredThousandCalls) {
  std::vector<float> pixels = deterministic_uniform(784, 7), first(10), logits(10);
  auto input = host_buffer(pixels, {1, 28, 28}, 1);
  auto output = host_buffer(logits, {10}, 1);
  ASSERT_EQ(lenet(input.raw_buffer(), output.raw_buffer()), 0);
  first = logits;
  expect_constant_memory("LeNet", kLenetWarmup, kLenetCalls, kLenetSamples, kLenetTolerance, [&] {
    std::fill(logits.begin(), logits.end(), 0.0f);
    return lenet(input.raw_buffer(), output.raw_buffer()) == 0 &&
           std::memcmp(logits.data(), first.data(), sizeof(float) * 10) == 0;
  });
}

// VGG-11 (weights as arguments) called again and again at batch 1: same logits, constant resident
// memory.
TEST(MemoryGrowth, Vgg11ManyCalls) {
  std::optional<Network> checked = checked_example("vgg11");
  ASSERT_TRUE(checked);
  DeterministicArguments args = deterministic_arguments(*checked, 1);
  ASSERT_EQ(vgg11_argv(args.argv.data()), 0);
  std::vector<float> first = args.output();
  expect_constant_memory("VGG-11", kVggWarmup, vgg_calls(), kVggSamples, kVggTolerance, [&] {
    std::fill(args.output().begin(), args.output().end(), 0.0f);
    return vgg11_argv(args.argv.data()) == 0 &&
           std::memcmp(args.output().data(), first.data(), sizeof(float) * first.size()) == 0;
  });
}

}  // namespace
}  // namespace cnngen::testing
