// Measures the machine's ceilings for the benchmarks: the float32 peak (independent fused
// multiply-adds on vector registers, on every core) with the widest vectors the compiler targets and
// with AVX2's 8-float vectors, and the read bandwidth from memory (every core summing its own slice
// of a buffer 8× larger than the last-level cache can hold). Prints one JSON line.
//   peak_flops            all three
//   peak_flops --read     the read bandwidth alone (a second or two; for benchmarks that sample it
//                         beside their own runs, since a shared machine's bandwidth varies by 1.5×)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

typedef float vec8 __attribute__((vector_size(32)));  // AVX2's 8 floats
#ifdef __AVX512F__
typedef float vec_widest __attribute__((vector_size(64)));  // AVX-512's 16 floats
#else
// Without AVX-512 the widest vector is AVX2's: 16-float vectors split in two would need 24 of
// AVX2's 16 registers for the 12 chains and spill (a Zen 3 measured 12.8 GFLOP/s so, 188 with 8).
typedef vec8 vec_widest;
#endif

constexpr int kChains = 12;  // enough independent chains to hide the FMA latency

template <typename Vec>
float fma_chains(long iterations) {
  Vec acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = Vec{} + 1.0f * i;
  const Vec a = Vec{} + 0.999999f, b = Vec{} + 1e-7f;
  for (long it = 0; it < iterations; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * a + b;
  }
  float sink = 0;
  for (int i = 0; i < kChains; ++i) sink += acc[i][0];
  return sink;
}

// Runs work(thread) on `threads` threads at once; returns the wall-clock seconds.
template <typename Work>
double timed_on_threads(int threads, Work work) {
  std::vector<std::thread> pool;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) pool.emplace_back([&work, t] { work(t); });
  for (auto &t : pool) t.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

template <typename Vec>
double gflops(int threads, long iterations) {
  double seconds = timed_on_threads(threads, [&](int) { volatile float s = fma_chains<Vec>(iterations); (void)s; });
  constexpr int lanes = sizeof(Vec) / sizeof(float);
  return threads * iterations * double(kChains) * lanes * 2 / seconds / 1e9;
}

// Sums a slice with independent vector accumulators: loads are the only traffic.
float sum_slice(const vec8 *data, size_t count) {
  vec8 acc[8] = {};
  for (size_t i = 0; i + 8 <= count; i += 8) {
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) acc[j] += data[i + j];
  }
  vec8 total = {};
  for (auto &a : acc) total += a;
  return total[0];
}

double read_gbs(int threads, size_t bytes) {
  size_t count = bytes / sizeof(vec8);
  auto *data = static_cast<vec8 *>(std::aligned_alloc(64, count * sizeof(vec8)));
  size_t per_thread = count / threads;
  // Each thread touches (and so places) its own slice before it is timed.
  timed_on_threads(threads, [&](int t) { std::fill(data + t * per_thread, data + (t + 1) * per_thread, vec8{} + 1.0f); });
  double best = 0;
  for (int repeat = 0; repeat < 5; ++repeat) {
    double seconds = timed_on_threads(threads, [&](int t) {
      volatile float s = sum_slice(data + t * per_thread, per_thread);
      (void)s;
    });
    best = std::max(best, threads * per_thread * sizeof(vec8) / seconds / 1e9);
  }
  std::free(data);
  return best;
}

}  // namespace

int main(int argc, char **argv) {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  // 1 GiB: 8× a 128 MB last-level cache, far beyond any of this project's machines' L3.
  const size_t read_bytes = size_t(1) << 30;
  if (argc == 2 && std::string(argv[1]) == "--read") {
    std::printf("{\"threads\": %d, \"read_gbs_all\": %.1f}\n", threads, read_gbs(threads, read_bytes));
    return 0;
  }
  long iterations = 200'000'000;
  double one = 0, all = 0, avx2 = 0;
  for (int repeat = 0; repeat < 3; ++repeat) {
    one = std::max(one, gflops<vec_widest>(1, iterations));
    all = std::max(all, gflops<vec_widest>(threads, iterations));
    avx2 = std::max(avx2, gflops<vec8>(threads, iterations));
  }
  double read = read_gbs(threads, read_bytes);
  std::printf("{\"threads\": %d, \"peak_gflops_1\": %.1f, \"peak_gflops_all\": %.1f, "
              "\"peak_gflops_avx2_all\": %.1f, \"read_gbs_all\": %.1f}\n",
              threads, one, all, avx2, read);
}
