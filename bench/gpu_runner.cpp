// One cnngen model (built with its weights as arguments, for the CPU or for CUDA) on deterministic
// weights and inputs (tests/deterministic_tensor.hpp, which tools/deterministic_weights.py
// reproduces for PyTorch): times it as an app calls it, with host buffers, and writes its outputs.
// Built here by bench/gpu_check_build.sh, run on the GPU machine by bench/gpu_check.py.
//   gpu_runner MODEL.net --batch N --seconds S --output FILE.f32
// Prints one JSON line: median and first-call seconds, the device it ran on.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "HalideBuffer.h"
#include "HalideRuntime.h"
#include "cnngen/error_handler.hpp"
#include "cnngen/gpu_device.hpp"
#include "deterministic_tensor.hpp"
#include "dsl/front_end.hpp"
#include CNNGEN_MODEL_HEADER

namespace {

constexpr std::uint32_t kInputSeed = 1000;

Halide::Runtime::Buffer<float> buffer_of(std::vector<float> &values, const cnngen::Shape &shape, int batch) {
  std::vector<int> extents(shape.rbegin(), shape.rend());
  if (batch > 0) extents.push_back(batch);
  Halide::Runtime::Buffer<float> buffer(values.data(), extents);
  buffer.set_host_dirty();
  return buffer;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s MODEL.net --batch N --seconds S --output FILE.f32\n", argv[0]);
    return 2;
  }
  const int batch = std::atoi(argv[3]);
  const double seconds = std::atof(argv[5]);
  std::string error;
  auto source = cnngen::SourceFile::read(argv[1], error);
  if (!source) {
    std::fprintf(stderr, "%s: %s\n", argv[1], error.c_str());
    return 1;
  }
  cnngen::Diagnostics diagnostics(*source);
  auto checked = cnngen::check_model(*source, "", diagnostics);
  if (!checked.network) return 1;
  const cnngen::Network &network = *checked.network;
  cnngen::install_error_handler();
  // Device memory for the layers is kept between calls, as the generated header recommends.
  halide_reuse_device_allocations(nullptr, true);

  std::vector<std::vector<float>> data;
  data.reserve(64);
  std::vector<Halide::Runtime::Buffer<float>> buffers;
  const cnngen::Shape &in_shape = network.tensors[static_cast<std::size_t>(network.input)].shape;
  const cnngen::Shape &out_shape = network.tensors[static_cast<std::size_t>(network.output)].shape;
  data.push_back(cnngen::testing::deterministic_uniform(
      static_cast<std::size_t>(cnngen::element_count(in_shape) * batch), kInputSeed));
  buffers.push_back(buffer_of(data.back(), in_shape, batch));
  std::uint32_t seed = 0;
  for (const cnngen::Node &node : network.nodes) {
    for (const cnngen::Parameter &p : cnngen::parameters(node)) {
      data.push_back(cnngen::testing::deterministic_parameter(p.shape, seed++));
      buffers.push_back(buffer_of(data.back(), p.shape, 0));
    }
  }
  data.emplace_back(static_cast<std::size_t>(cnngen::element_count(out_shape) * batch));
  buffers.push_back(buffer_of(data.back(), out_shape, batch));
  std::vector<void *> args;
  for (auto &b : buffers) args.push_back(b.raw_buffer());

  auto call = [&] {
    auto start = std::chrono::steady_clock::now();
    buffers.front().set_host_dirty();  // a new input each call, as in an app
    if (int status = CNNGEN_MODEL_ARGV(args.data())) {
      std::fprintf(stderr, "model failed (%d): %s\n", status, cnngen::last_error().c_str());
      std::exit(1);
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  double first = call();  // kernels compiled and loaded, device memory allocated
  std::vector<double> times;
  auto begin = std::chrono::steady_clock::now();
  while (times.size() < 5 ||
         std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count() < seconds) {
    times.push_back(call());
  }
  std::sort(times.begin(), times.end());
  std::FILE *out = std::fopen(argv[7], "wb");
  const std::vector<float> &outputs = data.back();
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
