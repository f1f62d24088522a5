// LeNet compiled without --weights: the weights become buffer arguments in layer order. Passing
// the trained tensors read from lenet.safetensors must give PyTorch's logits.
#include "lenet_weight_arguments.h"
#include "lenet_weight_arguments.hpp"

#include <gtest/gtest.h>

#include "cnngen/error_handler.hpp"
#include "cnngen/tensor_buffer.hpp"
#include "dsl/safetensors.hpp"
#include "golden_data.hpp"

namespace cnngen::testing {
namespace {

TEST(LenetWeightArguments, TrainedWeightsPassedAtRunTimeMatchPyTorch) {
  SourceFile none("none", "");
  Diagnostics diagnostics(none);
  auto weights = read_safetensors("../examples/lenet/lenet.safetensors", diagnostics);
  ASSERT_TRUE(weights) << "cannot read the LeNet weights";
  auto buffer = [&](const char *name) {
    WeightTensor &t = weights->at(name);
    std::vector<int> extents(t.shape.rbegin(), t.shape.rend());
    return Halide::Runtime::Buffer<float>(t.data.data(), extents);
  };
  IdxFile images = read_golden_idx("golden/lenet_images.idx");
  std::vector<float> golden = read_golden_logits("golden/lenet_logits.txt");
  std::vector<float> pixels = unit_floats(images);
  const int count = images.dims[0];
  std::vector<float> logits(static_cast<std::size_t>(count) * kLenetClasses);
  auto input = tensor_buffer(pixels.data(), {count, 1, 28, 28});
  auto output = tensor_buffer(logits.data(), {count, kLenetClasses});
  int status = lenet_weight_arguments(input, buffer("0.weight"), buffer("0.bias"), buffer("3.weight"),
                                      buffer("3.bias"), buffer("7.weight"), buffer("7.bias"),
                                      buffer("9.weight"), buffer("9.bias"), buffer("11.weight"),
                                      buffer("11.bias"), output);
  ASSERT_EQ(status, 0);
  expect_logits_match(logits, golden);
}

// The C++ header's typed call takes the weights as plain arrays in state_dict order.
TEST(LenetWeightArguments, CppHeaderInferTakesWeights) {
  SourceFile none("none", "");
  Diagnostics diagnostics(none);
  auto weights = read_safetensors("../examples/lenet/lenet.safetensors", diagnostics);
  ASSERT_TRUE(weights);
  static_assert(lenet_weight_arguments_model::kWeightCount == 10);
  EXPECT_EQ(lenet_weight_arguments_model::kWeightBytes, 0u);
  const float *arrays[10];
  const char *names[10] = {"0.weight", "0.bias", "3.weight", "3.bias", "7.weight",
                           "7.bias",   "9.weight", "9.bias", "11.weight", "11.bias"};
  for (int i = 0; i < 10; ++i) arrays[i] = weights->at(names[i]).data.data();
  IdxFile images = read_golden_idx("golden/lenet_images.idx");
  std::vector<float> pixels = unit_floats(images);
  std::vector<float> logits(static_cast<std::size_t>(images.dims[0]) * kLenetClasses);
  auto status = lenet_weight_arguments_model::infer(pixels.data(), images.dims[0], logits.data(), arrays);
  ASSERT_TRUE(status) << status.name();
  expect_logits_match(logits, read_golden_logits("golden/lenet_logits.txt"));
}

// A weight of the wrong shape is refused with an error code, not read out of bounds.
TEST(LenetWeightArguments, MisshapenWeightIsAnErrorCode) {
  std::vector<float> pixels(28 * 28), logits(kLenetClasses), junk(10000);
  auto input = tensor_buffer(pixels.data(), {1, 1, 28, 28});
  auto output = tensor_buffer(logits.data(), {1, kLenetClasses});
  auto w = [&](std::initializer_list<int> shape) { return tensor_buffer(junk.data(), shape); };
  install_error_handler();
  int status = lenet_weight_arguments(input, w({6, 1, 3, 3}), w({6}), w({16, 6, 5, 5}), w({16}),
                                      w({120, 400}), w({120}), w({84, 120}), w({84}), w({10, 84}),
                                      w({10}), output);
  EXPECT_NE(status, 0);
  EXPECT_NE(last_error().find("conv2d_0_weight"), std::string::npos) << last_error();
}

}  // namespace
}  // namespace cnngen::testing
