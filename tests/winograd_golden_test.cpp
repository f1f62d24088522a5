// Winograd F(4×4, 3×3), F(2×2, 3×3) and F(2×2, 5×5) (codegen/winograd.hpp) on whole networks
// against PyTorch: AlexNet, D2L's NiN and D2L's ResNet-18 with their deterministic weights embedded
// (so that --conv=auto, the default, takes Winograd for their 3×3 convolutions of 64 channels or
// more: F(4×4) from 12×12 outputs, F(2×2) below (ResNet's last two stages), batch norms folded in
// and residual adds fused after them; and for AlexNet's 5×5 one, 96 → 256), JIT-compiled for the host and compared with the same golden
// logits as their golden tests, whose libraries take the weights as arguments and so stay direct.
#include <gtest/gtest.h>

#include "check_source.hpp"
#include "cpu_test_targets.hpp"
#include "codegen/lower.hpp"
#include "codegen/schedule_batched.hpp"
#include "codegen/schedule_cpu.hpp"
#include "deterministic_arguments.hpp"
#include "golden_data.hpp"

namespace cnngen::testing {
namespace {

class WinogradGolden : public ::testing::TestWithParam<const char *> {};

TEST_P(WinogradGolden, EmbeddedWeightsMatchPyTorch) {
  const std::string model = GetParam();
  std::optional<Network> network = checked_example(model);
  ASSERT_TRUE(network);
  const std::vector<float> golden = read_golden_logits("golden/" + model + "_logits.txt");
  const Shape &in_shape = network->tensors[static_cast<std::size_t>(network->input)].shape;
  const Shape &out_shape = network->tensors[static_cast<std::size_t>(network->output)].shape;
  const int batch = static_cast<int>(golden.size() / static_cast<std::size_t>(element_count(out_shape)));
  ASSERT_GT(batch, 0);

  const TensorFile weights = deterministic_weights(*network);  // the golden tests' arguments, embedded
  const Halide::Target target = cpu_test_targets().front();
  LoweredNetwork lowered =
      lower(*network, plan_network(*network, true), &weights, model, batch_vector_width(*network, target));
  int f2_layers = 0, f4_layers = 0, five_layers = 0;
  for (const LoweredLayer &layer : lowered.layers) {
    const auto *conv = std::get_if<ConvStages>(&layer.stages);
    if (!conv || !conv->winograd) continue;
    if (conv->weights.winograd->kernel == 5) ++five_layers;
    else ++(conv->weights.winograd->tile == 4 ? f4_layers : f2_layers);
  }
  // Each has 3×3 layers of 64 channels or more at 12×12 or larger (F(4×4)); ResNet also smaller.
  EXPECT_GT(f4_layers, 0) << "no convolution of " << model << " took Winograd F(4×4, 3×3)";
  if (model == "resnet") {
    EXPECT_GT(f2_layers, 0) << "no convolution of resnet took Winograd F(2×2, 3×3)";
  }
  if (model == "alexnet") {
    EXPECT_EQ(five_layers, 1) << "AlexNet's 5×5 convolution did not take Winograd F(2×2, 5×5)";
  }
  schedule_cpu(lowered, *network, target);

  std::vector<float> input = deterministic_uniform(
      static_cast<std::size_t>(element_count(in_shape) * batch), kDeterministicInputSeed);
  std::vector<int> in_extents = halide_extents(in_shape), out_extents = halide_extents(out_shape);
  in_extents.push_back(batch);
  out_extents.push_back(batch);
  Halide::Buffer<float> in(input.data(), in_extents);
  lowered.input.set(in);
  Halide::Buffer<float> out(out_extents);
  Halide::Pipeline(lowered.output).realize(out, target);
  std::vector<float> logits(out.data(), out.data() + out.number_of_elements());
  expect_logits_match(logits, golden, static_cast<int>(element_count(out_shape)));
}

INSTANTIATE_TEST_SUITE_P(Nets, WinogradGolden, ::testing::Values("alexnet", "nin", "resnet"),
                         [](const ::testing::TestParamInfo<const char *> &info) { return std::string(info.param); });

}  // namespace
}  // namespace cnngen::testing
