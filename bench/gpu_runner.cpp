// One cnngen model (built with its weights as arguments, for the CPU or for CUDA) on deterministic
// weights and inputs (tests/deterministic_arguments.hpp, which tools/deterministic_weights.py
// reproduces for PyTorch): times it as an app calls it, with host buffers, and writes its outputs.
// Built here by bench/gpu_check_build.sh, run on the GPU machine by bench/gpu_check.py.
//   gpu_runner MODEL.net --batch N --seconds S --output FILE.f32
// Prints one JSON line: median and first-call seconds, the device it ran on.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include "HalideBuffer.h"
#include "HalideRuntime.h"
#include "cnngen/error_handler.hpp"
#include "cnngen/gpu_device.hpp"
#include "bench_support.hpp"
#include "deterministic_arguments.hpp"
#include CNNGEN_MODEL_HEADER

int main(int argc, char **argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s MODEL.net --batch N --seconds S --output FILE.f32\n", argv[0]);
    return 2;
  }
  const int batch = std::atoi(argv[3]);
  const double seconds = std::atof(argv[5]);
  std::optional<cnngen::Network> network = cnngen::bench::read_network(argv[1]);
  if (!network) return 1;
  cnngen::install_error_handler();
  // Device memory for the layers is kept between calls, as the generated header recommends.
  halide_reuse_device_allocations(nullptr, true);

  cnngen::testing::DeterministicArguments args = cnngen::testing::deterministic_arguments(*network, batch);

  auto call = [&] {
    args.input().set_host_dirty();  // a new input each call, as in an app
    if (int status = CNNGEN_MODEL_ARGV(args.argv.data())) {
      std::fprintf(stderr, "model failed (%d): %s\n", status, cnngen::last_error().c_str());
      std::exit(1);
    }
  };
  // The first call compiles and loads the kernels and allocates device memory.
  double first = cnngen::bench::call_times(call, 1, 0.0).front();
  std::vector<double> times = cnngen::bench::call_times(call, 5, seconds);
  std::FILE *out = std::fopen(argv[7], "wb");
  const std::vector<float> &outputs = args.output();
  if (!out || std::fwrite(outputs.data(), sizeof(float), outputs.size(), out) != outputs.size() ||
      std::fclose(out) != 0) {
    std::fprintf(stderr, "cannot write %s\n", argv[7]);
    return 1;
  }
  cnngen::GpuDevice device = cnngen::device_for_target(CNNGEN_MODEL_METADATA()->target);
  std::printf("{\"seconds\": %.9f, \"first_call_seconds\": %.6f, \"calls\": %zu, \"device\": \"%s\"}\n",
              times[times.size() / 2], first, times.size(), device.name.c_str());
  return 0;
}
