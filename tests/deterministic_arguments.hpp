// Every argument of a generated function built with its weights as arguments, filled as
// tools/make_golden_nets.py fills PyTorch's model: the input from seed 1000, each parameter by its
// state_dict name and role (deterministic_named_parameter), then a zeroed output. Used by the big
// networks' golden tests and by the GPU check's runner (bench/gpu_runner.cpp). Header-only.
#pragma once

#include <cstdint>
#include <vector>

#include "HalideBuffer.h"
#include "deterministic_tensor.hpp"

namespace cnngen::testing {

constexpr std::uint32_t kDeterministicInputSeed = 1000;

/// `values` as a Halide buffer of PyTorch shape `shape`, with `batch` images when it is positive,
/// marked host-dirty: the data is on the host, and a GPU build copies it to its device.
inline Halide::Runtime::Buffer<float> host_buffer(std::vector<float> &values, const Shape &shape,
                                                  int batch) {
  std::vector<int> extents(shape.rbegin(), shape.rend());
  if (batch > 0) extents.push_back(batch);
  Halide::Runtime::Buffer<float> buffer(values.data(), extents);
  buffer.set_host_dirty();
  return buffer;
}

struct DeterministicArguments {
  std::vector<std::vector<float>> data;  // each argument's values, in the function's order
  std::vector<Halide::Runtime::Buffer<float>> buffers;
  std::vector<void *> argv;  // for the generated <name>_argv entry point

  Halide::Runtime::Buffer<float> &input() { return buffers.front(); }
  std::vector<float> &output() { return data.back(); }
};

inline DeterministicArguments deterministic_arguments(const Network &network, int batch) {
  const Shape &in_shape = network.tensors[static_cast<std::size_t>(network.input)].shape;
  const Shape &out_shape = network.tensors[static_cast<std::size_t>(network.output)].shape;
  DeterministicArguments args;
  args.data.push_back(deterministic_uniform(static_cast<std::size_t>(element_count(in_shape) * batch),
                                            kDeterministicInputSeed));
  std::vector<Shape> shapes{in_shape};  // parameters() returns its shapes by value: copied
  for (const Node &node : network.nodes) {
    for (const Parameter &p : parameters(node)) {
      args.data.push_back(deterministic_named_parameter(p));
      shapes.push_back(p.shape);
    }
  }
  args.data.emplace_back(static_cast<std::size_t>(element_count(out_shape) * batch));
  shapes.push_back(out_shape);
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    bool batched = i == 0 || i + 1 == shapes.size();
    args.buffers.push_back(host_buffer(args.data[i], shapes[i], batched ? batch : 0));
  }
  for (auto &b : args.buffers) args.argv.push_back(b.raw_buffer());
  return args;
}

}  // namespace cnngen::testing
