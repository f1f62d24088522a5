// Measures the machine's float32 peak: independent fused multiply-adds on vector registers, on
// every core. Prints GFLOP/s for one thread and for all threads as one JSON line.
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

typedef float vec __attribute__((vector_size(64)));  // 16 floats; the compiler splits it if needed

double run(long iterations) {
  constexpr int kChains = 12;  // enough independent chains to hide the FMA latency
  vec acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = vec{} + 1.0f * i;
  const vec a = vec{} + 0.999999f, b = vec{} + 1e-7f;
  for (long it = 0; it < iterations; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * a + b;
  }
  float sink = 0;
  for (int i = 0; i < kChains; ++i) sink += acc[i][0];
  return sink;
}

double gflops(int threads, long iterations) {
  std::vector<std::thread> pool;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) pool.emplace_back([&] { volatile double s = run(iterations); (void)s; });
  for (auto &t : pool) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return threads * iterations * 12.0 * 16 * 2 / seconds / 1e9;
}

}  // namespace

int main() {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  long iterations = 200'000'000;
  double one = 0, all = 0;
  for (int repeat = 0; repeat < 3; ++repeat) {
    one = std::max(one, gflops(1, iterations));
    all = std::max(all, gflops(threads, iterations));
  }
  std::printf("{\"threads\": %d, \"peak_gflops_1\": %.1f, \"peak_gflops_all\": %.1f}\n", threads, one, all);
}
