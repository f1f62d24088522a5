// Winograd F(4×4, 3×3), F(2×2, 3×3) and F(2×2, 5×5) (codegen/winograd.hpp) on whole networks
// against PyTorch: AlexNet, D2L's NiN and D2L's ResNet-18 with their deterministic weights embedded
// (so that --conv=auto, the default, takes Winograd for their 3×3 convolutions of 64 channels or
// more: F(4×4) from 12×12 outputs, F(2×2) below (ResNet's last two stages), batch norms folded in
// and residual adds fused after them; and for AlexNet's 5×5 one, 96 → 256), JIT-compiled for the
// host in parts where cnngen compiles them in parts, and compared with the same golden logits as
// their golden tests, whose libraries take the weights as arguments and so stay direct.
#include <gtest/gtest.h>

#include "check_source.hpp"
#include "cpu_test_targets.hpp"
#include "codegen/lower.hpp"
#include "codegen/parts.hpp"
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
  // Lowered and scheduled as `cnngen compile --weights` does, in parts where split_network cuts
  // (ResNet: Halide lowers a part in a fraction of the whole network's time, which grows with the
  // square of its depth), each part JIT-compiled and run on the output of the one before it.
  const PipelineBuilder build = [&](const Network &part, const std::string &name, const Halide::Target &t,
                                    const BoundaryLayout &layout) {
    LoweredNetwork lowered = lower(part, plan_network(part, true), &weights, name, batch_vector_width(*network, t),
                                   ConvAlgorithm::automatic, layout);
    schedule_cpu(lowered, part, t, &*network);
    return lowered;
  };
  LoweredParts parts = lower_parts(*network, build, model, target, kDefaultLayersPerPart);
  if (model == "resnet") {
    EXPECT_TRUE(parts.cut()) << "resnet is no longer cut into parts: the test JIT-compiles it whole";
  }
  int f2_layers = 0, f4_layers = 0, five_layers = 0;
  for (const LoweredNetwork &part : parts.lowered) {
    for (const LoweredLayer &layer : part.layers) {
      const auto *conv = std::get_if<ConvStages>(&layer.stages);
      if (!conv || !conv->winograd) continue;
      if (conv->weights.winograd->kernel == 5) ++five_layers;
      else ++(conv->weights.winograd->tile == 4 ? f4_layers : f2_layers);
    }
  }
  // Each has 3×3 layers of 64 channels or more at 12×12 or larger (F(4×4)); ResNet also smaller.
  EXPECT_GT(f4_layers, 0) << "no convolution of " << model << " took Winograd F(4×4, 3×3)";
  if (model == "resnet") {
    EXPECT_GT(f2_layers, 0) << "no convolution of resnet took Winograd F(2×2, 3×3)";
  }
  if (model == "alexnet") {
    EXPECT_EQ(five_layers, 1) << "AlexNet's 5×5 convolution did not take Winograd F(2×2, 5×5)";
  }

  std::vector<float> input = deterministic_uniform(
      static_cast<std::size_t>(element_count(in_shape) * batch), kDeterministicInputSeed);
  std::vector<int> in_extents = halide_extents(in_shape);
  in_extents.push_back(batch);
  Halide::Buffer<float> tensor(input.data(), in_extents);
  for (std::size_t k = 0; k < parts.lowered.size(); ++k) {
    const Network &part = parts.parts[k].network;
    std::vector<int> out_extents = halide_extents(part.tensors[static_cast<std::size_t>(part.output)].shape);
    out_extents.push_back(batch);
    // Between parts the tensor lies with the channels innermost (BoundaryLayout), as the outer
    // pipeline of a compiled library stores it.
    Halide::Buffer<float> out = part_layout(k, parts.lowered.size()).output_channels_innermost
                                    ? Halide::Buffer<float>(out_extents, std::vector<int>{2, 0, 1, 3})
                                    : Halide::Buffer<float>(out_extents);
    parts.lowered[k].input.set(tensor);
    Halide::Pipeline(parts.lowered[k].output).realize(out, target);
    tensor = out;
  }
  ASSERT_EQ(static_cast<std::int64_t>(tensor.number_of_elements()), element_count(out_shape) * batch);
  std::vector<float> logits(tensor.data(), tensor.data() + tensor.number_of_elements());
  expect_logits_match(logits, golden, static_cast<int>(element_count(out_shape)));
}

INSTANTIATE_TEST_SUITE_P(Nets, WinogradGolden, ::testing::Values("alexnet", "nin", "resnet"),
                         [](const ::testing::TestParamInfo<const char *> &info) { return std::string(info.param); });

}  // namespace
}  // namespace cnngen::testing
