// The allocator a model installs at its first call (runtime/cnngen/buffer_cache.h), on arenas of
// the tests' own: blocks aligned, small ones laid out as Halide's own allocator lays them out, the
// large ones carved from one region once a first call has shown what it needs, freed blocks merged
// and taken again first, the region grown by what did not fit but never past twice the high-water
// mark, given back on request, safe from many threads; and installed only where the app has no
// allocator of its own. LeNet at batch 64 stores blocks of 128 KiB and more: once the region has
// grown to what its calls need, every one comes from the region.
#include "lenet.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "HalideRuntime.h"
#include "cnngen/tensor_buffer.hpp"

namespace cnngen::testing {
namespace {

constexpr std::size_t kKiB = 1024, kMiB = 1024 * 1024;

/// An arena of the test's own, given back at the end.
struct Arena {
  cnngen_buffer_cache cache{};
  ~Arena() { cnngen_cache_release(&cache); }
  void *take(std::size_t size) { return cnngen_cache_malloc(&cache, size); }
  void give(void *block) { cnngen_cache_free(&cache, block); }
  bool in_region(const void *block) const {
    const char *p = static_cast<const char *>(block);
    return cache.region && p >= cache.region && p < cache.region + cache.region_size;
  }
};

/// Fills `size` bytes and reads both ends back: AddressSanitizer checks the bounds, the values
/// that no other block overlaps it.
bool fill_and_check(void *block, std::size_t size, unsigned char value) {
  auto *bytes = static_cast<unsigned char *>(block);
  std::memset(bytes, value, size);
  std::this_thread::yield();
  return bytes[0] == value && bytes[size / 2] == value && bytes[size - 1] == value;
}

TEST(BufferCache, BlocksAreAlignedWritableAndSmallOnesTakenByHalidesOwnFree) {
  Arena arena;
  for (std::size_t size : {std::size_t{1}, std::size_t{100}, 4 * kKiB, 128 * kKiB - 1, 128 * kKiB, 5 * kMiB}) {
    void *block = arena.take(size);
    ASSERT_NE(block, nullptr) << size;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % 128, 0u) << size;
    EXPECT_TRUE(fill_and_check(block, size, 0xab)) << size;
    if (size < 128 * kKiB) {
      halide_default_free(nullptr, block);  // the layout halide_default_free expects
    } else {
      arena.give(block);
    }
  }
}

// The first call's blocks are made outside; once none is in use, the region holds them all, and
// the same calls again take their blocks from it, none made outside.
TEST(BufferCache, SecondCallTakesEveryBlockFromTheRegion) {
  Arena arena;
  const std::size_t sizes[] = {1 * kMiB, 3 * kMiB, 200 * kKiB, 2 * kMiB};
  for (int call = 0; call < 3; ++call) {
    std::vector<void *> blocks;
    for (std::size_t size : sizes) {
      blocks.push_back(arena.take(size));
      ASSERT_NE(blocks.back(), nullptr);
      EXPECT_TRUE(fill_and_check(blocks.back(), size, static_cast<unsigned char>(call + 1)));
      EXPECT_EQ(arena.in_region(blocks.back()), call > 0) << "call " << call << ", " << size << " bytes";
    }
    arena.give(blocks[1]);  // freed in another order than taken
    arena.give(blocks[0]);
    arena.give(blocks[3]);
    arena.give(blocks[2]);
    cnngen_memory_use use = cnngen_cache_use(&arena.cache);
    EXPECT_EQ(use.in_use, 0u);
    EXPECT_EQ(use.made_outside, 4u) << "call " << call;
    EXPECT_GE(use.region, use.high_water);
    EXPECT_LE(use.region, 2 * use.high_water);
    EXPECT_EQ(arena.cache.free_count, 1) << "the freed blocks merge into one range";
  }
}

TEST(BufferCache, AFreedBlockIsTakenAgainFirst) {
  Arena arena;
  arena.give(arena.take(4 * kMiB));  // a region of 4 MiB and a little more
  void *first = arena.take(1 * kMiB);
  void *second = arena.take(1 * kMiB);
  ASSERT_TRUE(arena.in_region(first) && arena.in_region(second));
  arena.give(first);
  void *again = arena.take(1 * kMiB);
  EXPECT_EQ(again, first);
  arena.give(second);
  arena.give(again);
}

// Blocks that outgrow the region are made outside it, and the region grows by the most that was
// outside at once, never past twice the high-water mark.
TEST(BufferCache, TheRegionGrowsByWhatDidNotFitUpToTwiceTheHighWater) {
  Arena arena;
  arena.give(arena.take(1 * kMiB));
  const std::size_t first_region = cnngen_cache_use(&arena.cache).region;
  void *a = arena.take(1 * kMiB);
  void *b = arena.take(3 * kMiB);
  EXPECT_TRUE(arena.in_region(a));
  EXPECT_FALSE(arena.in_region(b));
  arena.give(a);
  arena.give(b);
  cnngen_memory_use use = cnngen_cache_use(&arena.cache);
  EXPECT_GT(use.region, first_region);
  EXPECT_LE(use.region, 2 * use.high_water);
  void *c = arena.take(1 * kMiB);
  void *d = arena.take(3 * kMiB);
  EXPECT_TRUE(arena.in_region(c) && arena.in_region(d));
  arena.give(d);
  arena.give(c);
}

TEST(BufferCache, ReleaseGivesTheRegionBackNowOrWhenTheLastBlockIsFreed) {
  Arena arena;
  arena.give(arena.take(2 * kMiB));
  ASSERT_GT(cnngen_cache_use(&arena.cache).region, 0u);
  cnngen_cache_release(&arena.cache);
  EXPECT_EQ(cnngen_cache_use(&arena.cache).region, 0u);

  arena.give(arena.take(2 * kMiB));  // built again
  void *busy = arena.take(1 * kMiB);
  ASSERT_TRUE(arena.in_region(busy));
  cnngen_cache_release(&arena.cache);
  EXPECT_GT(cnngen_cache_use(&arena.cache).region, 0u) << "a block of it is in use";
  void *meanwhile = arena.take(256 * kKiB);
  EXPECT_FALSE(arena.in_region(meanwhile)) << "nothing more is carved from a region to give back";
  arena.give(meanwhile);
  arena.give(busy);
  EXPECT_EQ(cnngen_cache_use(&arena.cache).region, 0u);
}

TEST(BufferCache, BlocksHalideMadeBeforeTheCacheGoBackToHalide) {
  Arena arena;
  void *block = halide_default_malloc(nullptr, 200 * kKiB);
  ASSERT_NE(block, nullptr);
  arena.give(block);  // LeakSanitizer sees it if it is not freed
  EXPECT_EQ(cnngen_cache_use(&arena.cache).in_use, 0u);
}

TEST(BufferCache, ManyThreadsTakeAndGiveAtOnce) {
  Arena arena;
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int round = 0; round < 3; ++round) {
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([t, &arena, &wrong] {
        std::mt19937 random(t);
        std::uniform_int_distribution<std::size_t> sizes(64 * kKiB, 1 * kMiB);
        for (int i = 0; i < 200; ++i) {
          std::size_t size = sizes(random);
          void *block = arena.take(size);
          if (!block || !fill_and_check(block, size, static_cast<unsigned char>(t + 1))) ++wrong[t];
          if (block) arena.give(block);
        }
      });
    }
    for (std::thread &thread : threads) thread.join();
    threads.clear();
  }
  for (int t = 0; t < 4; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
  cnngen_memory_use use = cnngen_cache_use(&arena.cache);
  EXPECT_EQ(use.in_use, 0u);
  EXPECT_LE(use.region, 2 * use.high_water);
  EXPECT_EQ(arena.cache.free_count, arena.cache.region ? 1 : 0);
}

/// LeNet at batch 64 on zero images: 0 or the error code.
int call_lenet() {
  constexpr int kBatch = 64;
  std::vector<float> pixels(kBatch * 28 * 28), logits(kBatch * 10);
  auto input = tensor_buffer(pixels.data(), {kBatch, 1, 28, 28});
  auto output = tensor_buffer(logits.data(), {kBatch, 10});
  return lenet(input, output);
}

// In a fresh process (the death test's "threadsafe" style runs the binary again): the model's
// first call installs the cache; the region then grows in a few steps to what the calls need
// (how many blocks are in use at once depends on how the pool's threads meet) and from then on
// the calls make no block outside it.
/// The check above, in the child: exits 0 when it holds, else with the code of the step that failed.
[[noreturn]] void install_and_reuse() {
  if (call_lenet() != 0) std::exit(2);
  halide_malloc_t installed = halide_set_custom_malloc(halide_default_malloc);
  halide_set_custom_malloc(installed);
  if (installed != &cnngen_cached_malloc) std::exit(3);
  int calls = 1, steady = 0;
  unsigned long made = cnngen_current_memory_use().made_outside;
  for (; calls < 200 && steady < 20; ++calls) {
    if (call_lenet() != 0) std::exit(4);
    unsigned long now = cnngen_current_memory_use().made_outside;
    steady = now == made ? steady + 1 : 0;
    made = now;
  }
  cnngen_memory_use use = cnngen_current_memory_use();
  std::fprintf(stderr, "after %d calls: in use %zu, region %zu, high water %zu, made outside %lu\n", calls,
               use.in_use, use.region, use.high_water, use.made_outside);
  if (steady < 20 || use.made_outside > 10) std::exit(5);
  if (use.high_water < 128 * kKiB || use.region < use.high_water || use.region > 2 * use.high_water ||
      use.in_use != 0)
    std::exit(6);
  cnngen_release_cached_memory();
  if (cnngen_current_memory_use().region != 0) std::exit(7);
  std::exit(0);
}

TEST(BufferCacheDeathTest, AModelInstallsItAndReusesItsRegion) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(install_and_reuse(), ::testing::ExitedWithCode(0), "");
}

void *app_malloc(void *user_context, std::size_t size) { return halide_default_malloc(user_context, size); }
void app_free(void *user_context, void *block) { halide_default_free(user_context, block); }

// An allocator the app installed before the first call stays, and the cache is never used.
TEST(BufferCacheDeathTest, TheAppsOwnAllocatorStays) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        halide_set_custom_malloc(app_malloc);
        halide_set_custom_free(app_free);
        if (call_lenet() != 0) std::exit(2);
        if (halide_set_custom_malloc(app_malloc) != &app_malloc) std::exit(3);
        if (halide_set_custom_free(app_free) != &app_free) std::exit(4);
        if (cnngen_current_memory_use().high_water != 0) std::exit(5);
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace cnngen::testing
