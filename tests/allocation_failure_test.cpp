// A call whose working memory cannot be allocated returns halide_error_code_out_of_memory, frees
// what it had allocated, and the next, smaller call succeeds with PyTorch's results. Two ways to
// fail: an allocator installed with halide_set_custom_malloc/free that refuses large blocks or the
// n-th block (counting every block, so that each one handed out must come back), and a real
// shortage, an address-space limit (RLIMIT_AS) in a child process calling VGG-11 on a large batch.
//
// What Halide 14 does (src/CodeGen_Posix.cpp, src/runtime/errors.cpp): each heap allocation of the
// generated code is followed by a check that reports "Out of memory (halide_malloc returned
// nullptr)" through halide_error and returns -11; the blocks allocated before it are freed by
// destructors registered on the error path. LeNet's per-image copy allocates its buffers once per
// call, sized by the batch; its batch-vectorized copy allocates per block of images inside a
// parallel loop, so there the failure happens on a worker thread.
#include "lenet.h"
#include "vgg11_weight_arguments.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include "HalideRuntime.h"
#include "cnngen/error_handler.hpp"
#include "deterministic_arguments.hpp"
#include "dsl/front_end.hpp"
#include "golden_data.hpp"

#include "under_asan.hpp"

namespace cnngen::testing {
namespace {

/// The test allocator: Halide's own, refusing blocks above `largest` bytes and every block from
/// the `fail_from`-th on (0-based; negative: none), and keeping the set of blocks not yet freed.
struct Allocator {
  std::mutex mutex;
  std::set<void *> live;
  long count = 0, refused = 0, unknown_frees = 0, failed = 0;  // failed: Halide's allocator's NULLs
  std::size_t largest_asked = 0;
  std::size_t largest = SIZE_MAX;
  long fail_from = -1;

  void reset(std::size_t limit, long from) {
    std::lock_guard<std::mutex> lock(mutex);
    count = refused = unknown_frees = failed = 0;
    largest_asked = 0;
    largest = limit;
    fail_from = from;
  }
};
Allocator allocator;

void *test_malloc(void *user_context, std::size_t size) {
  std::lock_guard<std::mutex> lock(allocator.mutex);
  long index = allocator.count++;
  allocator.largest_asked = std::max(allocator.largest_asked, size);
  if (size > allocator.largest || (allocator.fail_from >= 0 && index >= allocator.fail_from)) {
    ++allocator.refused;
    return nullptr;
  }
  void *block = halide_default_malloc(user_context, size);
  if (block) {
    allocator.live.insert(block);
  } else {
    ++allocator.failed;
  }
  return block;
}

void test_free(void *user_context, void *block) {
  if (!block) return;
  {
    std::lock_guard<std::mutex> lock(allocator.mutex);
    if (allocator.live.erase(block) == 0) ++allocator.unknown_frees;
  }
  halide_default_free(user_context, block);
}

class AllocationFailure : public ::testing::Test {
 protected:
  void SetUp() override {
    install_error_handler();  // remove once every entry point installs cnngen's handler itself
    previous_malloc_ = halide_set_custom_malloc(test_malloc);
    previous_free_ = halide_set_custom_free(test_free);
    allocator.reset(SIZE_MAX, -1);
    images_ = unit_floats(read_golden_idx("golden/lenet_images.idx"));
    golden_ = read_golden_logits("golden/lenet_logits.txt");
  }
  void TearDown() override {
    halide_set_custom_malloc(previous_malloc_);
    halide_set_custom_free(previous_free_);
  }

  /// LeNet on the first `batch` golden images; the logits go to `logits`.
  int call_lenet(int batch, std::vector<float> &logits) {
    std::vector<float> pixels(images_.begin(), images_.begin() + batch * 784);
    logits.assign(static_cast<std::size_t>(batch) * kLenetClasses, std::nanf(""));
    auto input = host_buffer(pixels, {1, 28, 28}, batch);
    auto output = host_buffer(logits, {kLenetClasses}, batch);
    return lenet(input.raw_buffer(), output.raw_buffer());
  }

  /// The largest block LeNet asks for at `batch` (0 if the call fails).
  std::size_t largest_block(int batch) {
    std::vector<float> logits;
    allocator.reset(SIZE_MAX, -1);
    return call_lenet(batch, logits) == 0 ? allocator.largest_asked : 0;
  }

  /// PyTorch's logits of the first `batch` golden images.
  std::vector<float> golden(int batch) const {
    return std::vector<float>(golden_.begin(), golden_.begin() + batch * kLenetClasses);
  }

  /// Every block the allocator handed out came back, and nothing else did.
  void expect_all_freed(const std::string &what) {
    std::lock_guard<std::mutex> lock(allocator.mutex);
    EXPECT_TRUE(allocator.live.empty())
        << what << ": " << allocator.live.size() << " blocks not freed";
    EXPECT_EQ(allocator.unknown_frees, 0) << what << ": frees of blocks not allocated here";
  }

 private:
  halide_malloc_t previous_malloc_ = nullptr;
  halide_free_t previous_free_ = nullptr;
  std::vector<float> images_, golden_;
};

// An allocator that refuses blocks larger than batch 2 needs (43 kB with today's schedule) fails
// LeNet's batch of 15 (per-image copy: a 282 kB buffer) and of 17 (batch-vectorized copy: 301 kB
// per block), without leaking; batch 2 then succeeds with PyTorch's logits.
TEST_F(AllocationFailure, TooLargeIsAnErrorAndASmallerBatchThenSucceeds) {
  std::vector<float> logits;
  const std::size_t limit = largest_block(2);
  ASSERT_GT(limit, 0u);
  for (int batch : {15, 17}) {
    ASSERT_GT(largest_block(batch), limit)
        << "batch " << batch << " needs no larger block than batch 2: nothing to refuse";
    allocator.reset(limit, -1);
    cnngen_clear_last_error();
    EXPECT_EQ(call_lenet(batch, logits), halide_error_code_out_of_memory) << "batch " << batch;
    EXPECT_GT(allocator.refused, 0) << "batch " << batch << ": the allocator refused nothing";
    expect_all_freed("batch " + std::to_string(batch));
  }
  allocator.reset(limit, -1);
  ASSERT_EQ(call_lenet(2, logits), 0) << last_error();
  expect_logits_match(logits, golden(2));
  EXPECT_EQ(allocator.refused, 0);
  expect_all_freed("batch 2");
}

// The failure's message is readable on the calling thread, where the app looks for it. Every
// block of the batch's size is refused here, so the calling thread, which runs tasks of its own
// call, meets a failure itself.
TEST_F(AllocationFailure, MessageOnTheCallingThread) {
  const std::size_t limit = largest_block(2);
  std::vector<float> logits;
  for (int batch : {15, 17}) {
    allocator.reset(limit, -1);
    cnngen_clear_last_error();
    EXPECT_EQ(call_lenet(batch, logits), halide_error_code_out_of_memory);
    EXPECT_NE(last_error().find("Out of memory"), std::string::npos)
        << "batch " << batch << ": message '" << last_error() << "'";
  }
}

// A lone failure inside a parallel loop is reported on whichever of Halide's threads ran the task;
// the message still reaches the calling thread, through the user_context every generated function
// passes to its tasks (cnngen_error_context). Before that, 292 of 4,000 such failures at batch 64
// left the caller with the code and an empty message.
TEST_F(AllocationFailure, MessageOfAFailureOnAWorkerThread) {
  std::vector<float> logits;
  int failures = 0;
  for (int round = 0; round < 10; ++round) {
    for (long from = 0; from < 200; ++from) {
      allocator.reset(SIZE_MAX, from);
      cnngen_clear_last_error();
      const int status = call_lenet(64, logits);
      if (status == 0) break;
      ++failures;
      ASSERT_EQ(status, halide_error_code_out_of_memory);
      ASSERT_NE(last_error().find("Out of memory"), std::string::npos)
          << "round " << round << ", block " << from << " refused: message '" << last_error() << "'";
    }
  }
  EXPECT_GT(failures, 10);
  expect_all_freed("batch 64");
}

// Refusing the n-th block, for every n until the call succeeds: each refusal is an error code with
// every earlier block freed, on both copies of the network; then the call gives PyTorch's logits.
TEST_F(AllocationFailure, EachAllocationCanFail) {
  for (int batch : {1, 15, 17}) {
    std::vector<float> logits;
    int status = -1;
    long from = 0;
    for (; from < 200; ++from) {
      allocator.reset(SIZE_MAX, from);
      status = call_lenet(batch, logits);
      expect_all_freed("batch " + std::to_string(batch) + ", block " + std::to_string(from) +
                       " refused");
      if (status == 0) break;
      ASSERT_EQ(status, halide_error_code_out_of_memory) << "batch " << batch << ", block " << from;
    }
    ASSERT_EQ(status, 0) << "batch " << batch << " still failing with 200 blocks allowed";
    EXPECT_GT(from, 0) << "batch " << batch << ": a call that allocates nothing tests nothing";
    EXPECT_EQ(allocator.refused, 0);
    expect_logits_match(logits, golden(batch));
  }
}

// With an allocator that refuses nothing, 1,000 calls on each copy of the network free every block.
TEST_F(AllocationFailure, EveryBlockIsFreed) {
  std::vector<float> logits;
  for (int batch : {1, 15, 17}) {
    long failures = 0;
    for (int i = 0; i < 1000; ++i) failures += call_lenet(batch, logits) != 0;
    EXPECT_EQ(failures, 0) << "batch " << batch;
    EXPECT_GT(allocator.count, 0) << "batch " << batch << ": the test allocator was not called";
    expect_all_freed("batch " + std::to_string(batch));
  }
}

/// Says on stderr what went wrong in the child of AddressSpaceLimit; returns its exit status.
int child_failure(int status, const std::string &what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  return status;
}

/// The child of AddressSpaceLimit: VGG-11 at batch 1, then under an address-space limit at a batch
/// too large for it, then at batch 1 again. Returns its exit status (0: all as expected).
int vgg11_under_address_space_limit() {
  // Batch 1 holds about 0.5 GB at once (411 MB of it fc1's weights in the layout the schedule
  // reads, 25088×4096 floats, allocated at each call). Batch 512 allocates its first pooling's
  // output (64×112×112 floats an image, 1.6 GB) fourth, before any heavy work.
  constexpr int kLargeBatch = 512;
  constexpr long kHeadroom = 768L << 20;
  std::string error;
  auto source = SourceFile::read("../examples/vgg11/vgg11.net", error);
  if (!source) return child_failure(2, error);
  Diagnostics diagnostics(*source);
  CheckedModel checked = check_model(*source, "", diagnostics);
  if (!checked.network) return child_failure(2, "vgg11.net does not check");
  const Network &net = *checked.network;
  const Shape &image = net.tensors[static_cast<std::size_t>(net.input)].shape;
  DeterministicArguments args = deterministic_arguments(net, 1);
  // The large batch shares the weights; its input and output are allocated before the limit.
  std::vector<float> large_input = deterministic_uniform(
      static_cast<std::size_t>(element_count(image) * kLargeBatch), kDeterministicInputSeed);
  std::vector<float> large_output(static_cast<std::size_t>(10 * kLargeBatch));
  auto large_in = host_buffer(large_input, image, kLargeBatch);
  auto large_out = host_buffer(large_output, {10}, kLargeBatch);
  std::vector<void *> large = args.argv;
  large.front() = large_in.raw_buffer();
  large.back() = large_out.raw_buffer();

  // A first call starts Halide's thread pool: under the limit, its threads' stacks would not fit.
  int status = vgg11_argv(args.argv.data());
  if (status != 0)
    return child_failure(3, "batch 1 failed before the limit: " + std::to_string(status));
  const std::vector<float> before = args.output();

  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  statm >> pages;
  rlimit limit{};
  getrlimit(RLIMIT_AS, &limit);
  limit.rlim_cur = static_cast<rlim_t>(pages * sysconf(_SC_PAGESIZE) + kHeadroom);
  if (setrlimit(RLIMIT_AS, &limit) != 0) return child_failure(2, "setrlimit failed");

  allocator.reset(SIZE_MAX, -1);
  status = vgg11_argv(large.data());
  std::string outcome = "batch " + std::to_string(kLargeBatch) +
                        " under the limit: " + std::to_string(status) + " '" + cnngen_last_error() +
                        "'";
  if (status != halide_error_code_out_of_memory) return child_failure(4, outcome);
  {
    std::lock_guard<std::mutex> lock(allocator.mutex);
    outcome += "; " + std::to_string(allocator.count) + " blocks asked, " +
               std::to_string(allocator.failed) + " not given, " +
               std::to_string(allocator.live.size()) + " not freed";
    if (allocator.failed == 0 || !allocator.live.empty() || allocator.unknown_frees) {
      return child_failure(5, outcome);
    }
  }
  std::fprintf(stderr, "%s\n", outcome.c_str());
  std::fill(args.output().begin(), args.output().end(), 0.0f);
  status = vgg11_argv(args.argv.data());
  if (status != 0) {
    return child_failure(6, "batch 1 after the failure: " + std::to_string(status) + " '" +
                                cnngen_last_error() + "'");
  }
  if (std::memcmp(args.output().data(), before.data(), before.size() * sizeof(float)) != 0) {
    return child_failure(7, "batch 1 after the failure gave other logits");
  }
  std::vector<float> golden = read_golden_logits("golden/vgg11_logits.txt");
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (std::abs(before[i] - golden[i]) > 1e-4 * (1 + std::abs(golden[i]))) {
      return child_failure(8, "logit " + std::to_string(i) + ": " + std::to_string(before[i]) +
                                  ", PyTorch " + std::to_string(golden[i]));
    }
  }
  std::fprintf(stderr, "batch 1 after the failure: PyTorch's logits\n");
  return 0;
}

// Under an address-space limit, VGG-11 on a batch too large for it returns out_of_memory, with
// every block freed (the test allocator refuses nothing here: Halide's own fails, for real), and
// then runs batch 1 as before. In a child process (a fresh one: gtest's threadsafe death-test style
// runs this binary again), so that the limit stays there.
TEST_F(AllocationFailure, AddressSpaceLimit) {
#ifdef CNNGEN_UNDER_ASAN
  GTEST_SKIP() << "ASan reserves terabytes of address space for its shadow: no RLIMIT_AS under it";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::_Exit(vgg11_under_address_space_limit()), ::testing::ExitedWithCode(0),
              "batch 1 after the failure: PyTorch's logits");
}

}  // namespace
}  // namespace cnngen::testing
