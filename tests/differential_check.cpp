// The differential tester's check of one compiled random model against PyTorch. Linked with a
// library that cnngen built under the function name `random_model` (weights embedded or passed as
// arguments), it runs the model on the deterministic inputs of CASE.expected.safetensors at batches
// 1, 3 and the largest stored, and compares with PyTorch's outputs stored there:
//   differential_check CASE.net
// reads CASE.net, CASE.safetensors (the weights) and CASE.expected.safetensors ("output", the
// outputs of the largest batch, and "input_scale"). Exit status: 0 match, 1 mismatch, 2 the model
// returned an error or the files are unusable, 77 no device for the library's target (CTest skip).
// Used by the CI corpus (tests/differential/, tests/CMakeLists.txt) and by tools/difftest.py.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "HalideBuffer.h"
#include "HalideRuntime.h"
#include "cnngen/error_handler.hpp"
#include "cnngen/gpu_device.hpp"
#include "deterministic_arguments.hpp"
#include "dsl/front_end.hpp"

extern "C" int random_model_argv(void **args);
extern "C" const struct halide_filter_metadata_t *random_model_metadata();

namespace {

using namespace cnngen;
using cnngen::testing::host_buffer;

constexpr int kMismatch = 1, kUnusable = 2, kNoDevice = 77;
constexpr double kRelative = 1e-4, kAbsolute = 1e-4;  // allclose(rtol=1e-4, atol=1e-4)

std::optional<TensorFile> read_tensors(const SourceFile &source, const std::string &path) {
  Diagnostics diagnostics(source);
  std::optional<TensorFile> tensors = read_safetensors(path, diagnostics);
  if (!tensors) diagnostics.render(std::cerr, false);
  return tensors;
}

/// "image 2, (c 5, y 0, x 3)" for flat index `i` of a batch of `shape`.
std::string describe_index(std::size_t i, const Shape &shape) {
  std::size_t per_image = static_cast<std::size_t>(element_count(shape));
  std::string out = "image " + std::to_string(i / per_image) + ", ";
  std::size_t rest = i % per_image;
  if (shape.size() == 3) {
    std::size_t w = static_cast<std::size_t>(shape[2]), h = static_cast<std::size_t>(shape[1]);
    return out + "c " + std::to_string(rest / (w * h)) + ", y " + std::to_string(rest / w % h) +
           ", x " + std::to_string(rest % w);
  }
  return out + "feature " + std::to_string(rest);
}

/// Runs the model on the first `batch` images: 0 when it matched PyTorch, else kMismatch or kUnusable.
int check_batch(const Network &network, const TensorFile *weights, const std::vector<float> &all_inputs,
                const std::vector<float> &expected, int batch) {
  const Shape &in_shape = network.tensors[static_cast<std::size_t>(network.input)].shape;
  const Shape &out_shape = network.tensors[static_cast<std::size_t>(network.output)].shape;
  std::vector<float> input(all_inputs.begin(), all_inputs.begin() + element_count(in_shape) * batch);
  std::vector<float> output(static_cast<std::size_t>(element_count(out_shape) * batch), std::nanf(""));
  // Weights as arguments: in the generated function's order, layer by layer, weight before bias.
  std::vector<Parameter> order;
  for (const Node &node : network.nodes) {
    for (const Parameter &p : parameters(node)) order.push_back(p);
  }
  std::vector<std::vector<float>> values;
  for (const Parameter &p : order) values.push_back(weights ? weights->at(p.name).data : std::vector<float>{});
  std::vector<Halide::Runtime::Buffer<float>> buffers{host_buffer(input, in_shape, batch)};
  for (std::size_t i = 0; weights && i < order.size(); ++i) buffers.push_back(host_buffer(values[i], order[i].shape, 0));
  buffers.push_back(host_buffer(output, out_shape, batch));
  std::vector<void *> argv;
  for (auto &b : buffers) argv.push_back(b.raw_buffer());
  if (int error = random_model_argv(argv.data())) {
    std::cerr << "batch " << batch << ": the model returned error " << error << ": " << last_error() << "\n";
    return kUnusable;
  }
  buffers.back().copy_to_host();
  double worst = 0;
  int shown = 0, wrong = 0;
  for (std::size_t i = 0; i < output.size(); ++i) {
    double a = output[i], e = expected[i], difference = std::abs(a - e);
    bool same = (std::isnan(a) && std::isnan(e)) || difference <= kAbsolute + kRelative * std::abs(e);
    if (!std::isnan(difference)) worst = std::max(worst, difference);
    if (same) continue;
    ++wrong;
    if (shown++ < 8) {
      std::fprintf(stderr, "batch %d: %s: cnngen %.9g, PyTorch %.9g\n", batch,
                   describe_index(i, out_shape).c_str(), a, e);
    }
  }
  std::printf("batch %d: %zu outputs, max |cnngen - PyTorch| %.3g, %d outside allclose(1e-4, 1e-4)\n",
              batch, output.size(), worst, wrong);
  return wrong == 0 ? 0 : kMismatch;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " CASE.net\n";
    return kUnusable;
  }
  const std::string net = argv[1], stem = net.substr(0, net.size() - 4);
  const halide_filter_metadata_t *metadata = random_model_metadata();
  GpuDevice device = device_for_target(metadata->target);
  if (!device.present) {
    std::cout << "skipped: no device for " << metadata->target << ": " << device.name << "\n";
    return kNoDevice;
  }
  std::string error;
  std::optional<SourceFile> source = SourceFile::read(net, error);
  if (!source) {
    std::cerr << net << ": " << error << "\n";
    return kUnusable;
  }
  Diagnostics diagnostics(*source);
  CheckedModel checked = check_model(*source, "", diagnostics);
  if (!checked.network) {
    diagnostics.render(std::cerr, false);
    return kUnusable;
  }
  const Network &network = *checked.network;
  std::optional<TensorFile> expected = read_tensors(*source, stem + ".expected.safetensors");
  std::optional<TensorFile> weights;
  if (metadata->num_arguments > 2) weights = read_tensors(*source, stem + ".safetensors");
  if (!expected || !expected->count("output") || !expected->count("input_scale") ||
      (metadata->num_arguments > 2 && !weights)) {
    std::cerr << stem << ": missing expected outputs, input scale or weights\n";
    return kUnusable;
  }
  const std::vector<float> &outputs = expected->at("output").data;
  const int largest = static_cast<int>(expected->at("output").shape.at(0));
  const Shape &in_shape = network.tensors[static_cast<std::size_t>(network.input)].shape;
  std::vector<float> inputs = testing::deterministic_symmetric(
      static_cast<std::size_t>(element_count(in_shape) * largest), testing::kDeterministicInputSeed,
      expected->at("input_scale").data.at(0));
  install_error_handler();
  std::printf("%s on %s (%s), weights %s\n", net.c_str(), metadata->target, device.name.c_str(),
              weights ? "as arguments" : "embedded");
  int status = 0;
  for (int batch : std::set<int>{1, std::min(3, largest), largest}) {
    status = std::max(status, check_batch(network, weights ? &*weights : nullptr, inputs, outputs, batch));
  }
  return status;
}
