// Times one cnngen-generated model at one batch size and prints one JSON line. The model's
// weights are either embedded (CNNGEN_WEIGHT_ARGUMENTS=0) or passed as arguments, filled with
// random values of PyTorch's shapes read from the .net file.
//   MODEL_bench MODEL.net --batch N [--seconds S] [--evict-mb M] [--buffer-cache 0]
// With --evict-mb, every call is preceded (untimed) by a read of an M MB buffer, so that the
// model's weights and tensors come from memory, not from a cache the last call left them in: an
// application that calls the model now and then, between other work. 64 covers a 32 MB L3 (the
// JSON's peak_rss_mb then counts the M MB too). With --buffer-cache 0 the app installs Halide's
// own allocator first, so that the model does not install cnngen's (runtime/cnngen/buffer_cache.h):
// what keeping the working memory between calls is worth.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <fstream>
#include <string>
#include <vector>

#include "HalideBuffer.h"
#include "cnngen/error_handler.hpp"
#include "bench_support.hpp"
#include CNNGEN_MODEL_HEADER

namespace {

Halide::Runtime::Buffer<float> random_buffer(const cnngen::Shape &shape, int batch, std::mt19937 &rng) {
  std::vector<int> extents(shape.rbegin(), shape.rend());
  if (batch > 0) extents.push_back(batch);
  Halide::Runtime::Buffer<float> buffer(extents);
  std::uniform_real_distribution<float> uniform(-0.05f, 0.05f);
  buffer.for_each_value([&](float &v) { v = uniform(rng); });
  return buffer;
}

/// Reads `bytes` one cache line at a time, into a sum the compiler must keep (nothing when empty).
void read_through(const std::vector<char> &bytes) {
  static volatile long sink = 0;
  long sum = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 64) sum += bytes[i];
  sink = sink + sum;
}

void *plain_malloc(void *user_context, std::size_t size) { return halide_default_malloc(user_context, size); }
void plain_free(void *user_context, void *block) { halide_default_free(user_context, block); }

}  // namespace

int main(int argc, char **argv) {
  int batch = 0;
  double seconds = 2.0, evict_mb = 0;
  bool buffer_cache = true;
  bool known = argc % 2 == 0;  // the file, then flag-value pairs
  for (int i = 2; known && i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--batch") batch = std::atoi(argv[i + 1]);
    else if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (flag == "--evict-mb") evict_mb = std::atof(argv[i + 1]);
    else if (flag == "--buffer-cache") buffer_cache = std::atoi(argv[i + 1]) != 0;
    else known = false;
  }
  if (!known || batch <= 0) {
    std::fprintf(stderr, "usage: %s MODEL.net --batch N [--seconds S] [--evict-mb M] [--buffer-cache 0]\n",
                 argv[0]);
    return 2;
  }
  std::optional<cnngen::Network> read = cnngen::bench::read_network(argv[1]);
  if (!read) return 1;
  const cnngen::Network &network = *read;
  cnngen::install_error_handler();
  if (!buffer_cache) {
    halide_set_custom_malloc(plain_malloc);
    halide_set_custom_free(plain_free);
  }

  std::mt19937 rng(1);
  std::vector<Halide::Runtime::Buffer<float>> buffers;
  buffers.push_back(random_buffer(network.tensors[network.input].shape, batch, rng));
  if (CNNGEN_WEIGHT_ARGUMENTS) {
    for (const cnngen::Node &node : network.nodes) {
      for (const cnngen::Parameter &p : cnngen::parameters(node)) buffers.push_back(random_buffer(p.shape, 0, rng));
    }
  }
  buffers.push_back(random_buffer(network.tensors[network.output].shape, batch, rng));
  std::vector<void *> args;
  for (auto &b : buffers) args.push_back(b.raw_buffer());

  auto call = [&] {
    if (int status = CNNGEN_MODEL_ARGV(args.data())) {
      std::fprintf(stderr, "model failed (%d): %s\n", status, cnngen::last_error().c_str());
      std::exit(1);
    }
  };
  call();  // warm-up: first-touch of memory, thread pool start
  const std::vector<char> evict(evict_mb > 0 ? static_cast<std::size_t>(evict_mb * (1 << 20)) : 0, 1);
  std::vector<double> times = cnngen::bench::call_times(call, 3, seconds, [&] { read_through(evict); });
  // VmHWM, the peak resident memory of this process image (ru_maxrss would include the memory of
  // the process that started it, since Linux keeps it across exec).
  double peak_mb = 0;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) peak_mb = std::atof(line.c_str() + 6) / 1024.0;
  }
  std::printf("{\"engine\": \"cnngen\", \"model\": \"%s\", \"batch\": %d, \"seconds\": %.9f, "
              "\"calls\": %zu, \"peak_rss_mb\": %.1f}\n",
              network.name.c_str(), batch, times[times.size() / 2], times.size(), peak_mb);
  return 0;
}
