// Cutting deep networks into parts (codegen/parts.hpp): where split_network cuts, and that the parts
// together are the network. Whether compiled parts compute the same numbers is the differential
// corpus's parts variant and the golden tests of the modern networks, compiled in parts.
#include "codegen/parts.hpp"

#include <set>
#include <utility>

#include <gtest/gtest.h>

#include "check_source.hpp"
#include "codegen/schedule_cpu.hpp"

namespace cnngen::testing {
namespace {

/// The parts hold the network's nodes in order, each reads only its own tensors and its input,
/// which is the part before's output, and each cut falls before a layer with a stage of its own.
void expect_parts_of(const Network &network, const std::vector<NetworkPart> &parts, int layers_per_part) {
  std::size_t next = 0;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const Network &part = parts[k].network;
    SCOPED_TRACE("part " + std::to_string(k));
    EXPECT_EQ(parts[k].first, next);
    ASSERT_FALSE(part.nodes.empty());
    for (std::size_t i = 0; i < part.nodes.size(); ++i) {
      const Node &node = part.nodes[i], &original = network.nodes[next + i];
      EXPECT_EQ(node.path, original.path);
      EXPECT_EQ(part.tensors[static_cast<std::size_t>(node.output)].shape,
                network.tensors[static_cast<std::size_t>(original.output)].shape);
      EXPECT_EQ(part.tensors[static_cast<std::size_t>(node.output)].producer, static_cast<int>(i));
      for (int tensor : node.inputs) {
        int producer = part.tensors[static_cast<std::size_t>(tensor)].producer;
        EXPECT_TRUE(tensor == part.input || (producer >= 0 && producer < static_cast<int>(i)))
            << node.path << " reads a tensor made outside its part";
      }
    }
    if (k > 0) {
      const Network &before = parts[k - 1].network;
      EXPECT_EQ(part.tensors[static_cast<std::size_t>(part.input)].shape,
                before.tensors[static_cast<std::size_t>(before.output)].shape);
      const Operation &op = part.nodes.front().op;
      EXPECT_TRUE(std::holds_alternative<Conv2d>(op) || std::holds_alternative<Pool2d>(op) ||
                  std::holds_alternative<AdaptivePool2d>(op) || std::holds_alternative<Linear>(op) ||
                  std::holds_alternative<LayerNorm>(op) || std::holds_alternative<ChannelSlice>(op) ||
                  std::holds_alternative<ChannelShuffle>(op))
          << part.nodes.front().path << " starts a part";
    }
    if (k + 1 < parts.size()) {
      EXPECT_GE(part.nodes.size(), static_cast<std::size_t>(layers_per_part));
    }
    next += part.nodes.size();
  }
  EXPECT_EQ(next, network.nodes.size());
  EXPECT_EQ(parts.back().network.tensors[static_cast<std::size_t>(parts.back().network.output)].shape,
            network.tensors[static_cast<std::size_t>(network.output)].shape);
}

TEST(Parts, MobileNetV2InPartsBetweenBlocks) {
  std::optional<Network> network = checked_example("mobilenet_v2");
  ASSERT_TRUE(network);
  ASSERT_EQ(network->nodes.size(), 153u);
  std::vector<NetworkPart> parts = split_network(*network, kDefaultLayersPerPart);
  EXPECT_GE(parts.size(), 5u);
  expect_parts_of(*network, parts, kDefaultLayersPerPart);
  // Never inside an inverted residual block: each part starts a block (its expansion or, for
  // block 1, its depthwise convolution) or the head.
  for (std::size_t k = 1; k < parts.size(); ++k) {
    const std::string &path = parts[k].network.nodes.front().path;
    EXPECT_TRUE(path.rfind("features.", 0) == 0 && (path.find(".conv.0.0") != std::string::npos ||
                                                    path == "features.18.0"))
        << path;
  }
}

// ShuffleNetV2's units end with concat then channel_shuffle, which only reads the concatenation's
// channels elsewhere: a part may begin with it, the stored concatenation being the part before's
// output (until now only the 3 stride-2 units could begin a part, and a part held up to 8 units:
// 61 s of a 98 s compile).
TEST(Parts, ShuffleNetIsCutBeforeItsShuffles) {
  std::optional<Network> network = checked_example("shufflenet_v2_x1_0");
  ASSERT_TRUE(network);
  std::vector<NetworkPart> parts = split_network(*network, kDefaultLayersPerPart);
  EXPECT_GE(parts.size(), 6u);
  expect_parts_of(*network, parts, kDefaultLayersPerPart);
  std::string firsts;
  std::size_t shuffle_first = 0;
  for (std::size_t k = 1; k < parts.size(); ++k) {
    firsts += parts[k].network.nodes.front().path + " ";
    if (std::holds_alternative<ChannelShuffle>(parts[k].network.nodes.front().op)) ++shuffle_first;
  }
  EXPECT_GE(shuffle_first, 5u) << "parts begin with " << firsts;
}

// Between parts a tensor goes through memory whole and planar: of the cuts within half a part,
// the smallest tensor's. In the mobile networks that is an inverted residual's output, never the
// expansion a depthwise convolution reads (MobileNetV3 had 3 of its 7 cuts there, the largest
// 672×14×14 where a 112×14×14 block output came three layers later).
// Parts of 20 stay within 1.5 × 20 layers. A part runs past 1.5 × layers per part only to the next
// place a cut qualifies: MobileNetV3's residual blocks with squeeze-and-excitation are about 15
// layers, none cut inside (its shortcut is alive), so with parts of 12 one part runs to 23.
TEST(Parts, MobileNetworksAreCutWhereTheTensorIsNarrow) {
  const std::pair<int, std::size_t> sizes[] = {{20, 30}, {kDefaultLayersPerPart, 2 * kDefaultLayersPerPart}};
  for (const char *model : {"mobilenet_v3_large", "efficientnet_b0", "mobilenet_v2"}) {
    for (auto [layers, longest] : sizes) {
      SCOPED_TRACE(std::string(model) + " in parts of " + std::to_string(layers));
      std::optional<Network> network = checked_example(model);
      ASSERT_TRUE(network);
      std::vector<NetworkPart> parts = split_network(*network, layers);
      EXPECT_GE(parts.size(), 4u);
      expect_parts_of(*network, parts, layers);
      for (std::size_t k = 1; k < parts.size(); ++k) {
        const Node &first = parts[k].network.nodes.front();
        const auto *conv = std::get_if<Conv2d>(&first.op);
        EXPECT_FALSE(conv && conv->groups > 1) << first.path << " (depthwise) starts a part";
        if (k + 1 < parts.size()) {
          EXPECT_LE(parts[k].network.nodes.size(), longest) << "part " << k;
        }
      }
    }
  }
}

TEST(Parts, ResidualBlocksStayWhole) {
  std::optional<Network> network = checked_example("resnet18");
  ASSERT_TRUE(network);
  for (int layers : {1, 5, 20}) {
    SCOPED_TRACE("layers per part " + std::to_string(layers));
    std::vector<NetworkPart> parts = split_network(*network, layers);
    EXPECT_GT(parts.size(), 1u);
    expect_parts_of(*network, parts, layers);
    // A block's shortcut is alive across the whole block: a part starts with the stem, a block's
    // first convolution, or the head's pooling.
    for (std::size_t k = 1; k < parts.size(); ++k) {
      const std::string &path = parts[k].network.nodes.front().path;
      EXPECT_TRUE(path.find(".conv1") != std::string::npos || path == "maxpool" || path == "avgpool" ||
                  path == "fc")
          << path;
    }
  }
}

// Halide's passes take time growing with the square of a pipeline's depth: a network of a few
// dozen layers is cut too (the corpus's 26-layer blocks_generated_names compiled in 40 s whole,
// 8 s in two parts; docs/performance.md, "Deep networks in parts of 12 rather than 20").
TEST(Parts, NetworksOfTwoDozenLayersAreCut) {
  for (const char *model : {"vgg11", "nin"}) {
    SCOPED_TRACE(model);
    std::optional<Network> network = checked_example(model);
    ASSERT_TRUE(network);
    ASSERT_LT(network->nodes.size(), 40u);
    std::vector<NetworkPart> parts = split_network(*network, kDefaultLayersPerPart);
    EXPECT_EQ(parts.size(), 2u);
    expect_parts_of(*network, parts, kDefaultLayersPerPart);
  }
}

TEST(Parts, ShortOrUnsplitNetworksStayWhole) {
  std::optional<Network> network = checked_example("mobilenet_v2");
  ASSERT_TRUE(network);
  EXPECT_EQ(split_network(*network, 0).size(), 1u);
  EXPECT_EQ(split_network(*network, 77).size(), 1u);  // fewer than twice as many layers
  std::optional<Network> lenet = checked_example("lenet");
  ASSERT_TRUE(lenet);
  std::vector<NetworkPart> whole = split_network(*lenet, kDefaultLayersPerPart);
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole.front().network.nodes.size(), lenet->nodes.size());
}

/// `network` lowered with weights as arguments and cnngen's CPU schedule, cut into parts of
/// `layers_per_part`.
LoweredParts cpu_parts(const Network &network, int layers_per_part) {
  const PipelineBuilder build = [](const Network &part, const std::string &name, const Halide::Target &target,
                                   const BoundaryLayout &layout) {
    LoweredNetwork lowered =
        lower(part, plan_network(part, false), nullptr, name, 0, ConvAlgorithm::automatic, layout);
    schedule_cpu(lowered, part, target);
    return lowered;
  };
  return lower_parts(network, build, "m", Halide::get_host_target(), layers_per_part);
}

/// The outer pipeline's calls of every part but the last, first part first, for `network` lowered
/// as cpu_parts does.
std::vector<Halide::Internal::Function> calls_between_parts(const Network &network, int layers_per_part) {
  const LoweredParts lowered = cpu_parts(network, layers_per_part);
  const std::optional<LoweredNetwork> &entry = lowered.entry;
  std::vector<Halide::Internal::Function> calls;
  for (Halide::Internal::Function call = entry->output.function();;) {
    const std::vector<Halide::ExternFuncArgument> &arguments = call.extern_arguments();
    if (arguments.empty() || !arguments.front().is_func()) break;
    call = Halide::Internal::Function(arguments.front().func);
    calls.insert(calls.begin(), call);
  }
  return calls;
}

// Every tensor between parts is computed whole, all of its images included, whatever the next
// part reads of it. A part reports the region of its input it reads; one that reads none of it
// (every window of its convolution in the padding of a 1×1 input) asked for no images, and the
// parts before it were called for none (error -28; tests/differential/blocks_parts_*).
TEST(Parts, TensorsBetweenPartsAreBoundInEveryDimension) {
  for (const char *layers : {"relu\nconv2d(4, 1)\nrelu\nconv2d(1, 1, stride=2, padding=1)\n",
                             "conv2d(8, 3, padding=1)\nrelu\nmaxpool2d(2)\nconv2d(8, 1)\nflatten\nlinear(3)\n"}) {
    SCOPED_TRACE(layers);
    std::optional<Network> network = check_source(std::string("model m\ninput 3x2x2\n") + layers);
    ASSERT_TRUE(network);
    const std::size_t parts = split_network(*network, 1).size();
    ASSERT_GT(parts, 1u);
    std::vector<Halide::Internal::Function> calls = calls_between_parts(*network, 1);
    EXPECT_EQ(calls.size(), parts - 1);
    for (const Halide::Internal::Function &call : calls) {
      std::set<std::string> bound;
      for (const Halide::Internal::Bound &b : call.schedule().bounds()) bound.insert(b.var);
      EXPECT_EQ(bound.size(), call.args().size()) << call.name() << " is not bound in every dimension";
    }
  }
}

// The tensors between parts lie with the channels innermost, as the CPU schedule stores tensors
// inside a network: the outer pipeline stores each so, each part but the first reads its input so
// and each part but the last writes its output so (not transposed to the planar layout and back,
// which cost ShuffleNetV2 at batch 8 about a third of its time in its 17 parts). The network's own
// input and output stay planar.
TEST(Parts, TensorsBetweenPartsLieChannelsInnermost) {
  std::optional<Network> network = check_source(
      "model m\ninput 3x6x6\nconv2d(8, 3, padding=1)\nrelu\nconv2d(8, 1)\nrelu\nconv2d(4, 1)\nrelu\n");
  ASSERT_TRUE(network);
  const LoweredParts parts = cpu_parts(*network, 2);
  ASSERT_GT(parts.lowered.size(), 1u);
  for (const Halide::Internal::Function &call : calls_between_parts(*network, 2)) {
    ASSERT_FALSE(call.schedule().storage_dims().empty());
    EXPECT_EQ(call.schedule().storage_dims().front().var, call.args()[2])
        << call.name() << " is not stored with the channels innermost";
  }
  // The dimension whose stride is constrained to 1: x (0) planar, c (2) channels innermost.
  auto unit_stride_dim = [](const Halide::Internal::Parameter &buffer) {
    for (int d = 0; d < 3; ++d) {
      if (Halide::Internal::is_const_one(buffer.stride_constraint(d))) return d;
    }
    return -1;
  };
  for (std::size_t k = 0; k < parts.lowered.size(); ++k) {
    SCOPED_TRACE("part " + std::to_string(k));
    const LoweredNetwork &part = parts.lowered[k];
    EXPECT_EQ(unit_stride_dim(part.input.parameter()), k == 0 ? 0 : 2);
    EXPECT_EQ(unit_stride_dim(part.output.output_buffer().parameter()), k + 1 == parts.lowered.size() ? 0 : 2);
  }
}

}  // namespace
}  // namespace cnngen::testing
