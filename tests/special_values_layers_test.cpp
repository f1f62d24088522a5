// Issue 12: every layer kind, lowered and scheduled as cnngen compiles it (JIT), keeps PyTorch's
// NaN and ±Inf semantics: NaN propagates (a max pooling window holding NaN is NaN, relu(NaN) is
// NaN), sigmoid(±Inf) is 1 and 0, a softmax row holding +Inf is NaN. Models, inputs and outputs
// are tools/make_special_values.py's (tests/golden/special_values_layers.txt). Each runs image by
// image, as one batch of every kind, and as a batch large enough for the batch-vectorized copy,
// for the host's vectors and AVX2's; models with batch norm also unfolded. (The GPU schedule is
// checked ahead of time, through special_values_net_test: a JIT-compiled OpenCL pipeline would
// load PoCL's LLVM beside libHalide's, which crashes.)
#include "special_values.hpp"

#include <gtest/gtest.h>

#include "check_source.hpp"
#include "cpu_test_targets.hpp"
#include "codegen/lower.hpp"
#include "codegen/schedule_batched.hpp"
#include "codegen/schedule_cpu.hpp"
#include "codegen/target_features.hpp"

namespace cnngen::testing {
namespace {

constexpr std::uint32_t kLayerSeed = 2000;  // tools/make_special_values.py's LAYER_SEED

std::vector<SpecialGolden> layer_goldens() {
  return read_special_goldens("golden/special_values_layers.txt");
}


class SpecialValues : public ::testing::TestWithParam<SpecialGolden> {};

TEST_P(SpecialValues, MatchPyTorch) {
  const SpecialGolden &golden = GetParam();
  std::string diagnostics;
  auto network = check_source(golden.source, &diagnostics);
  ASSERT_TRUE(network) << diagnostics;
  TensorFile weights = deterministic_weights(*network);
  const Shape &in_shape = network->tensors[static_cast<std::size_t>(network->input)].shape;
  const Shape &out_shape = network->tensors[static_cast<std::size_t>(network->output)].shape;
  ASSERT_EQ(static_cast<std::size_t>(element_count(out_shape)), golden.per_image);
  const auto count = static_cast<std::size_t>(element_count(in_shape));
  const bool has_batch_norm = golden.source.find("batchnorm") != std::string::npos;

  for (const Halide::Target &target : cpu_test_targets())
  for (bool fold : has_batch_norm ? std::vector<bool>{true, false} : std::vector<bool>{true}) {
    SCOPED_TRACE(std::to_string(target.natural_vector_size(Halide::Float(32))) + "-float vectors" +
                 (fold ? "" : ", batch norm unfolded"));
    const int batch_vector = batch_vector_width(*network, target);
    PlanOptions plan_options;
    plan_options.fold_batch_norm = fold;
    LoweredNetwork lowered = lower(*network, plan_network(*network, true, plan_options), &weights, "t", batch_vector);
    schedule_cpu(lowered, *network, target);
    Halide::Pipeline pipeline(lowered.output);
    auto run = [&](const std::vector<float> &input, int batch) {
      std::vector<int> in_extents = halide_extents(in_shape), out_extents = halide_extents(out_shape);
      in_extents.push_back(batch);
      out_extents.push_back(batch);
      Halide::Buffer<float> in(in_extents), out(out_extents);
      std::copy(input.begin(), input.end(), in.data());
      lowered.input.set(in);
      pipeline.realize(out, target);
      return std::vector<float>(out.data(), out.data() + out.number_of_elements());
    };
    for (int image = 0; image < kSpecialImages; ++image) {
      SCOPED_TRACE("batch 1");
      expect_special_match(run(special_input(count, image, kLayerSeed, -2.0f, 2.0f), 1), golden, 1, image);
    }
    std::vector<int> batches{kSpecialImages};
    if (batch_vector > 0) batches.push_back(2 * batch_vector + 1);
    for (int batch : batches) {
      SCOPED_TRACE("batch " + std::to_string(batch));
      expect_special_match(run(special_batch(count, batch, kLayerSeed, -2.0f, 2.0f), batch), golden, batch);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Layers, SpecialValues, ::testing::ValuesIn(layer_goldens()),
                         [](const ::testing::TestParamInfo<SpecialGolden> &info) { return info.param.name; });

}  // namespace
}  // namespace cnngen::testing
