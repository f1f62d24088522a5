// Shape inference: D2L's output-size arithmetic, state_dict naming, and every user error it
// reports, with the numbers the messages must state.
#include "dsl/infer_shapes.hpp"

#include <gtest/gtest.h>

#include "check_source.hpp"
#include "dsl/window.hpp"

namespace cnngen::testing {
namespace {

std::string model_text(const char *input, const char *layers) {
  return std::string("model m\ninput ") + input + "\n" + layers + "\n";
}

const Shape &output_shape(const Network &network) {
  return network.tensors[static_cast<std::size_t>(network.output)].shape;
}

/// Names each instance of a parameterized test after its case.
struct CaseName {
  template <typename Case>
  std::string operator()(const ::testing::TestParamInfo<Case> &info) const {
    return info.param.name;
  }
};

std::size_t count(const std::string &text, const std::string &what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

struct ShapeCase {
  const char *name;
  const char *input;
  const char *layers;
  Shape expected;
};

std::ostream &operator<<(std::ostream &out, const ShapeCase &c) { return out << c.name; }

class OutputShape : public ::testing::TestWithParam<ShapeCase> {};

// The model's output shape follows out = ⌊(n + 2p − d·(k−1) − 1)/s⌋ + 1 per spatial axis.
// (Warnings, such as rows a stride never reaches, may accompany it; errors may not.)
TEST_P(OutputShape, MatchesD2L) {
  const ShapeCase &c = GetParam();
  std::string rendered;
  auto network = check_source(model_text(c.input, c.layers), &rendered);
  ASSERT_TRUE(network) << rendered;
  EXPECT_EQ(rendered.find("error:"), std::string::npos) << rendered;
  EXPECT_EQ(output_shape(*network), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    D2L, OutputShape,
    ::testing::Values(
        ShapeCase{"SamePadding", "1x8x8", "conv2d(1, kernel=3, padding=1)", {1, 8, 8}},
        // Issue 32: mul broadcasts as PyTorch does; chunk takes PyTorch's chunk sizes (⌈C/chunks⌉,
        // the last fewer); narrow; channel_shuffle keeps the shape.
        ShapeCase{"MulBroadcastsScale", "8x5x5",
                  "mul {\n  branch {}\n  branch {\n    adaptiveavgpool2d(1)\n  }\n}", {8, 5, 5}},
        ShapeCase{"MulBroadcastsBothWays", "8x5x5",
                  "mul {\n  branch { conv2d a(1, 1) }\n  branch { adaptivemaxpool2d(1) }\n}", {8, 5, 5}},
        ShapeCase{"MulFeatures", "6", "mul {\n  branch {}\n  branch { linear g(1) }\n}", {6}},
        ShapeCase{"ChunkEven", "24x4x4", "chunk(2, 1)", {12, 4, 4}},
        ShapeCase{"ChunkLastIsShorter", "10x4x4", "chunk(3, 2)", {2, 4, 4}},
        ShapeCase{"ChunkFeatures", "7", "chunk(2, 1)", {3}},
        ShapeCase{"Narrow", "10x4x4", "narrow(3, length=5)", {5, 4, 4}},
        ShapeCase{"ChannelShuffle", "12x3x3", "channel_shuffle(3)", {12, 3, 3}},
        // Issue 33: PyTorch's padding layers, (left, right, top, bottom); pooling's dilation.
        ShapeCase{"ZeroPadSides", "2x5x6", "zeropad2d((1, 2, 3, 0))", {2, 8, 9}},
        ShapeCase{"ConstantPadAll", "2x5x6", "constantpad2d(2, -1.5)", {2, 9, 10}},
        ShapeCase{"ReflectionPadUpToTheEdge", "1x3x3", "reflectionpad2d(2)", {1, 7, 7}},
        ShapeCase{"ReplicationPad", "1x3x3", "replicationpad2d((0, 4, 0, 0))", {1, 3, 7}},
        ShapeCase{"MaxPoolDilated", "1x9x9", "maxpool2d(3, 1, 1, 2)", {1, 7, 7}},
        ShapeCase{"AvgPoolPaddingUncounted", "1x5x5", "avgpool2d(3, 2, 1, count_include_pad=false)", {1, 3, 3}},
        ShapeCase{"SiluHardswishHardsigmoidGeluKeepShape", "3x4x5", "silu\nhardswish\nhardsigmoid\ngelu", {3, 4, 5}},
        ShapeCase{"NonSquareKernelSamePadding", "1x8x8", "conv2d(1, kernel=(5, 3), padding=(2, 1))",
                  {1, 8, 8}},
        ShapeCase{"Stride2HalvesSpatialSize", "1x8x8", "conv2d(1, kernel=3, padding=1, stride=2)",
                  {1, 4, 4}},
        ShapeCase{"NonSquareStride", "1x8x8",
                  "conv2d(1, kernel=(3, 5), padding=(0, 1), stride=(3, 4))", {1, 2, 2}},
        ShapeCase{"DilationWithPadding", "1x11x10", "conv2d(1, kernel=3, dilation=2, padding=2)",
                  {1, 11, 10}},
        ShapeCase{"DilationShrinks", "1x7x7", "conv2d(1, kernel=3, dilation=2)", {1, 3, 3}},
        ShapeCase{"WindowEqualToInput", "1x5x5", "conv2d(1, kernel=5)", {1, 1, 1}},
        ShapeCase{"OutChannels", "3x8x8", "conv2d(16, kernel=1)", {16, 8, 8}},
        ShapeCase{"Groups", "4x8x8", "conv2d(8, kernel=3, groups=2)", {8, 6, 6}},
        ShapeCase{"PositionalConvArguments", "1x8x8", "conv2d(2, 3, 2, 1)", {2, 4, 4}},
        ShapeCase{"MaxPoolStrideDefaultsToKernel", "1x4x4", "maxpool2d(3)", {1, 1, 1}},
        ShapeCase{"MaxPoolPaddedStride2", "1x4x4", "maxpool2d(3, padding=1, stride=2)", {1, 2, 2}},
        ShapeCase{"MaxPoolNonSquare", "1x4x4", "maxpool2d((2, 3), stride=(2, 3), padding=(0, 1))",
                  {1, 2, 2}},
        ShapeCase{"AvgPoolNonSquareStrideDefault", "3x6x6", "avgpool2d(kernel=(2, 3))", {3, 3, 2}},
        ShapeCase{"PoolKeepsChannels", "5x8x8", "avgpool2d(2, 2)", {5, 4, 4}},
        ShapeCase{"PoolStrideBeyondInput", "1x4x4", "maxpool2d(2, stride=5)", {1, 1, 1}},
        ShapeCase{"Flatten", "16x5x5", "flatten", {400}},
        ShapeCase{"LinearInfersIn", "400", "linear(120)", {120}},
        ShapeCase{"LinearWithMatchingIn", "400", "linear(in=400, out=84)", {84}},
        ShapeCase{"ActivationsKeepShape", "2x3x4", "relu\nsigmoid\ntanh\nsoftmax\ndropout(0.3)",
                  {2, 3, 4}},
        ShapeCase{"ConvPoolFlattenLinear", "1x8x8", "conv2d(2, kernel=3)\nmaxpool2d(2)\nflatten\n"
                                                    "linear(5)",
                  {5}}),
    CaseName());

// The layers of modern CNNs: batch norm, relu6 and identity keep the shape; adaptive pooling gives
// any requested H×W, also larger than its input (PyTorch repeats input positions then).
INSTANTIATE_TEST_SUITE_P(
    Modern, OutputShape,
    ::testing::Values(
        ShapeCase{"BatchNorm2dKeepsShape", "3x8x5", "batchnorm2d", {3, 8, 5}},
        ShapeCase{"BatchNorm2dWithMatchingChannels", "3x8x8",
                  "batchnorm2d(3, eps=0.001, momentum=0.2, affine=false)", {3, 8, 8}},
        ShapeCase{"BatchNorm2dKeyedNumFeatures", "16x4x4",
                  "batchnorm2d(num_features=16, track_running_stats=true, momentum=1)", {16, 4, 4}},
        ShapeCase{"BatchNorm1dKeepsShape", "120", "batchnorm1d(120, eps=1e-3)", {120}},
        ShapeCase{"BatchNorm1dAfterLinear", "2x4x4", "flatten\nlinear(10)\nbatchnorm1d", {10}},
        ShapeCase{"AdaptiveAvgPoolToOne", "512x7x7", "adaptiveavgpool2d(1)", {512, 1, 1}},
        ShapeCase{"AdaptiveMaxPoolPair", "2x3x7", "adaptivemaxpool2d((5, 3))", {2, 5, 3}},
        ShapeCase{"AdaptivePoolKeyed", "4x9x9", "adaptiveavgpool2d(output=(2, 4))", {4, 2, 4}},
        ShapeCase{"AdaptivePoolLargerThanInput", "2x3x3", "adaptivemaxpool2d(4)", {2, 4, 4}},
        ShapeCase{"AdaptivePoolThenFlatten", "8x5x5", "adaptiveavgpool2d(1)\nflatten", {8}},
        ShapeCase{"Relu6AndIdentityKeepShape", "2x3x4", "relu6\nidentity\nrelu6", {2, 3, 4}},
        ShapeCase{"IdentityOnFeatures", "7", "identity", {7}}),
    CaseName());

// ceil_mode follows PyTorch: ⌈(n + 2p − k)/s⌉ + 1, less a last window that would start past the
// input. Expected sizes are PyTorch 1.13's nn.MaxPool2d(k, s, p, ceil_mode=True) on n×n.
INSTANTIATE_TEST_SUITE_P(
    CeilMode, OutputShape,
    ::testing::Values(
        ShapeCase{"RoundsUp", "1x6x6", "maxpool2d(3, stride=2, ceil_mode=true)", {1, 3, 3}},
        ShapeCase{"FalseRoundsDown", "1x6x6", "maxpool2d(3, stride=2, ceil_mode=false)", {1, 2, 2}},
        ShapeCase{"DropsWindowStartingInPadding", "1x5x5",
                  "maxpool2d(2, stride=2, padding=1, ceil_mode=true)", {1, 3, 3}},
        ShapeCase{"GoogLeNetStem", "64x112x112", "maxpool2d(3, 2, 1, ceil_mode=true)",
                  {64, 57, 57}},
        ShapeCase{"ExactFitIsUnchanged", "1x13x13", "maxpool2d(3, stride=2, ceil_mode=true)",
                  {1, 6, 6}},
        ShapeCase{"NonSquare", "1x7x8",
                  "maxpool2d((3, 2), stride=(2, 3), padding=(1, 0), ceil_mode=true)", {1, 4, 3}},
        ShapeCase{"WindowOverhangsSmallInput", "1x2x2", "maxpool2d(3, stride=3, ceil_mode=true)",
                  {1, 1, 1}},
        ShapeCase{"AvgPoolRoundsUp", "3x14x14", "avgpool2d(3, stride=2, ceil_mode=true)",
                  {3, 7, 7}}),
    CaseName());

struct WindowCase {
  std::int64_t n, kernel, stride, padding;
  std::int64_t floor_output, ceil_output;  // PyTorch's; 0 where PyTorch reports no output
};

std::ostream &operator<<(std::ostream &out, const WindowCase &c) {
  return out << "n=" << c.n << " k=" << c.kernel << " s=" << c.stride << " p=" << c.padding;
}

class WindowOutput : public ::testing::TestWithParam<WindowCase> {};

// Window::output matches the sizes PyTorch 1.13's nn.MaxPool2d computes with and without
// ceil_mode (sizes below 1 are errors in both).
TEST_P(WindowOutput, MatchesPyTorch) {
  const WindowCase &c = GetParam();
  Window floor_window{c.kernel, c.stride, c.padding, 1, false};
  Window ceil_window{c.kernel, c.stride, c.padding, 1, true};
  EXPECT_EQ(std::max<std::int64_t>(0, floor_window.output(c.n)), c.floor_output);
  EXPECT_EQ(std::max<std::int64_t>(0, ceil_window.output(c.n)), c.ceil_output);
}

INSTANTIATE_TEST_SUITE_P(
    PyTorch, WindowOutput,
    ::testing::Values(WindowCase{2, 5, 2, 1, 0, 1}, WindowCase{2, 5, 2, 0, 0, 0},
                      WindowCase{8, 3, 3, 0, 2, 3}, WindowCase{6, 3, 2, 0, 2, 3},
                      WindowCase{5, 2, 2, 1, 3, 3}, WindowCase{4, 3, 2, 1, 2, 3},
                      WindowCase{1, 2, 2, 0, 0, 1}, WindowCase{7, 3, 2, 1, 4, 4},
                      WindowCase{13, 3, 2, 0, 6, 6}, WindowCase{14, 3, 2, 0, 6, 7},
                      WindowCase{56, 3, 2, 1, 28, 29}, WindowCase{9, 4, 4, 2, 3, 3},
                      WindowCase{10, 2, 3, 1, 4, 4}, WindowCase{2, 3, 3, 0, 0, 1},
                      WindowCase{3, 4, 3, 2, 2, 2}));

// With ceil_mode the formula rounds up, and says so when PyTorch drops a last window.
TEST(Window, CeilModeFormula) {
  EXPECT_EQ((Window{3, 2, 0, 1, true}.formula(6)), "⌈(6 + 2·0 − 1·(3−1) − 1)/2⌉ + 1 = 3");
  EXPECT_EQ((Window{3, 2, 0, 1, false}.formula(6)), "⌊(6 + 2·0 − 1·(3−1) − 1)/2⌋ + 1 = 2");
  EXPECT_EQ((Window{2, 2, 1, 1, true}.formula(5)),
            "⌈(5 + 2·1 − 1·(2−1) − 1)/2⌉ + 1 = 4, less the window that would start past the "
            "input: 3");
}

// ceil_mode's extra window reads the rows floor rounding leaves; a stride longer than the
// kernel still skips positions.
TEST(Window, CeilModeReadsTheRemainder) {
  EXPECT_EQ((Window{3, 2, 0, 1, false}.unread(6)), 1);
  EXPECT_EQ((Window{3, 2, 0, 1, true}.unread(6)), 0);
  EXPECT_EQ((Window{3, 3, 0, 1, false}.unread(8)), 2);
  EXPECT_EQ((Window{3, 3, 0, 1, true}.unread(8)), 0);
  EXPECT_EQ((Window{1, 3, 0, 1, true}.unread(5)), 1);  // windows at 0 and 3; 4 is never read
  EXPECT_EQ((Window{2, 2, 1, 1, true}.unread(5)), 0);
}

// The rows a floor-rounded pooling leaves unread are read with ceil_mode: no warning then.
TEST(ShapeInference, CeilModeLeavesNothingUnread) {
  std::string rendered;
  ASSERT_TRUE(check_source(model_text("1x8x8", "maxpool2d(3)"), &rendered));
  EXPECT_NE(rendered.find("warning: maxpool2d leaves the last 2 rows and columns"),
            std::string::npos)
      << rendered;
  auto network = check_source(model_text("1x8x8", "maxpool2d(3, ceil_mode=true)"), &rendered);
  ASSERT_TRUE(network);
  EXPECT_EQ(rendered, "");
  EXPECT_EQ(output_shape(*network), (Shape{1, 3, 3}));
}

// The new layers' IR carries their arguments and the inferred channel count.
TEST(ShapeInference, ModernLayersIr) {
  std::string rendered;
  auto network = check_source(
      model_text("6x9x9", "batchnorm2d(eps=0.01, affine=false)\nrelu6\nidentity\n"
                          "maxpool2d(2, ceil_mode=true)\nadaptivemaxpool2d((2, 3))\n"
                          "avgpool2d(2)\nflatten\nbatchnorm1d"),
      &rendered);
  ASSERT_TRUE(network) << rendered;
  ASSERT_EQ(network->nodes.size(), 8u);
  const auto &norm = std::get<BatchNorm>(network->nodes[0].op);
  EXPECT_EQ(norm.channels, 6);
  EXPECT_DOUBLE_EQ(norm.eps, 0.01);
  EXPECT_FALSE(norm.affine);
  EXPECT_EQ(std::get<Activation>(network->nodes[1].op).kind, ActivationKind::relu6);
  EXPECT_TRUE(std::holds_alternative<Identity>(network->nodes[2].op));
  EXPECT_TRUE(std::get<Pool2d>(network->nodes[3].op).ceil_mode);
  EXPECT_FALSE(std::get<Pool2d>(network->nodes[5].op).ceil_mode);
  const auto &adaptive = std::get<AdaptivePool2d>(network->nodes[4].op);
  EXPECT_EQ(adaptive.kind, PoolKind::max);
  EXPECT_EQ(adaptive.output.h, 2);
  EXPECT_EQ(adaptive.output.w, 3);
  const auto &flat_norm = std::get<BatchNorm>(network->nodes[7].op);
  EXPECT_EQ(flat_norm.channels, 6);  // 6×1×1 after the 2×3 → 1×1 average pooling
  EXPECT_DOUBLE_EQ(flat_norm.eps, 1e-5);
  EXPECT_TRUE(flat_norm.affine);
  EXPECT_EQ(output_shape(*network), Shape{6});
}

// Where cnngen's order is PyTorch's, PyTorch's positional forms bind as PyTorch binds them:
// nn.BatchNorm2d(num_features, eps, momentum, affine, track_running_stats) and
// nn.AvgPool2d(kernel_size, stride, padding, ceil_mode).
TEST(ShapeInference, PyTorchPositionalArguments) {
  std::string rendered;
  auto network = check_source(
      model_text("6x9x9", "batchnorm2d(6, 0.001, 0.5, false, true)\navgpool2d(2, 2, 1, true)\nflatten\n"
                          "batchnorm1d(150, 0.01)"),
      &rendered);
  ASSERT_TRUE(network) << rendered;
  ASSERT_EQ(network->nodes.size(), 4u);
  const auto &norm = std::get<BatchNorm>(network->nodes[0].op);
  EXPECT_DOUBLE_EQ(norm.eps, 0.001);
  EXPECT_FALSE(norm.affine);
  const auto &pool = std::get<Pool2d>(network->nodes[1].op);
  EXPECT_EQ(pool.padding.h, 1);
  EXPECT_TRUE(pool.ceil_mode);
  EXPECT_EQ(output_shape(*network), Shape{150});  // 6 × 5 × 5: ⌈(9 + 2 − 2)/2⌉ + 1 = 5
  EXPECT_DOUBLE_EQ(std::get<BatchNorm>(network->nodes[3].op).eps, 0.01);
}

// A parenthesized value is that value, also as a whole argument or a default: `(4 * 4)` is 16.
TEST(ShapeInference, ParenthesizedArgumentIsItsValue) {
  std::string rendered;
  auto network = check_source(
      model_text("3x8x8", "def blk(c=(4), k=((3))) {\n  conv2d(c, k, padding=((1), k // 3))\n}\n"
                          "conv2d((4 * 4), (3), padding=((1), 1))\nblk()\nblk((2 + 3))"),
      &rendered);
  ASSERT_TRUE(network) << rendered;
  ASSERT_EQ(network->nodes.size(), 3u);
  const auto &conv = std::get<Conv2d>(network->nodes[0].op);
  EXPECT_EQ(conv.out_channels, 16);
  EXPECT_EQ(conv.kernel.h, 3);
  EXPECT_EQ(conv.kernel.w, 3);
  EXPECT_EQ(std::get<Conv2d>(network->nodes[1].op).out_channels, 4);
  EXPECT_EQ(output_shape(*network), (Shape{5, 8, 8}));
}

// Inferred sizes reach the operations too: conv2d's input channels and linear's input features.
TEST(ShapeInference, InfersInputChannelsAndFeatures) {
  std::string rendered;
  auto network =
      check_source(model_text("3x6x6", "conv2d(4, kernel=3)\nflatten\nlinear(7)"), &rendered);
  ASSERT_TRUE(network) << rendered;
  ASSERT_EQ(network->nodes.size(), 3u);
  EXPECT_EQ(std::get<Conv2d>(network->nodes[0].op).in_channels, 3);
  EXPECT_EQ(std::get<Linear>(network->nodes[2].op).in_features, 64);
  EXPECT_EQ(std::get<Linear>(network->nodes[2].op).out_features, 7);
}

// The shipped LeNet: every layer's output shape, and PyTorch's state_dict names and shapes.
TEST(ShapeInference, LeNetLayerShapesAndParameters) {
  auto network = checked_example("lenet");
  ASSERT_TRUE(network);
  EXPECT_EQ(network->name, "lenet");

  std::vector<std::string> shapes;
  std::vector<std::string> names;
  for (const Node &node : network->nodes) {
    shapes.push_back(node.kind + " " +
                     describe(network->tensors[static_cast<std::size_t>(node.output)].shape));
    for (const Parameter &p : parameters(node)) names.push_back(p.name + " " + describe(p.shape));
  }
  EXPECT_EQ(shapes, (std::vector<std::string>{
                        "conv2d 6×28×28", "sigmoid 6×28×28", "avgpool2d 6×14×14",
                        "conv2d 16×10×10", "sigmoid 16×10×10", "avgpool2d 16×5×5", "flatten 400",
                        "linear 120", "sigmoid 120", "linear 84", "sigmoid 84", "linear 10"}));
  EXPECT_EQ(names, (std::vector<std::string>{
                       "0.weight 6×1×5×5", "0.bias 6", "3.weight 16×6×5×5", "3.bias 16",
                       "7.weight 120×400", "7.bias 120", "9.weight 84×120", "9.bias 84",
                       "11.weight 10×84", "11.bias 10"}));
  EXPECT_EQ(output_shape(*network), Shape{10});
}

struct ParameterCase {
  const char *name;
  const char *input;
  const char *layers;
  std::vector<std::string> expected;  // "NAME SHAPE", in layer order, weight before bias
};

std::ostream &operator<<(std::ostream &out, const ParameterCase &c) { return out << c.name; }

class StateDictNames : public ::testing::TestWithParam<ParameterCase> {};

// Parameters are named after the layer's name, else its index among all layer lines.
TEST_P(StateDictNames, MatchPyTorch) {
  const ParameterCase &c = GetParam();
  std::string rendered;
  auto network = check_source(model_text(c.input, c.layers), &rendered);
  ASSERT_TRUE(network) << rendered;
  std::vector<std::string> names;
  for (const Node &node : network->nodes) {
    for (const Parameter &p : parameters(node)) names.push_back(p.name + " " + describe(p.shape));
  }
  EXPECT_EQ(names, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Parameters, StateDictNames,
    ::testing::Values(
        ParameterCase{"NamedAndIndexed", "400", "linear fc1(120)\nrelu\nlinear(10)",
                      {"fc1.weight 120×400", "fc1.bias 120", "2.weight 10×120", "2.bias 10"}},
        ParameterCase{"IndexCountsLayersWithoutParameters", "1x8x8",
                      "relu\nmaxpool2d(2)\nconv2d c(2, kernel=1)\nflatten\nlinear(3)",
                      {"c.weight 2×1×1×1", "c.bias 2", "4.weight 3×32", "4.bias 3"}},
        ParameterCase{"NoBias", "3x8x8", "conv2d(4, kernel=3, bias=false)\nflatten\n"
                                         "linear(2, bias=false)",
                      {"0.weight 4×3×3×3", "2.weight 2×144"}},
        ParameterCase{"GroupsDivideInputChannels", "4x8x8", "conv2d(8, kernel=(3, 1), groups=4)",
                      {"0.weight 8×1×3×1", "0.bias 8"}},
        ParameterCase{"BatchNorm", "3x8x8", "conv2d(4, 3, bias=false)\nbatchnorm2d\nrelu\n"
                                            "batchnorm2d bn(affine=false)",
                      {"0.weight 4×3×3×3", "1.weight 4", "1.bias 4", "1.running_mean 4",
                       "1.running_var 4", "bn.running_mean 4", "bn.running_var 4"}},
        // torchvision's RegNet names its blocks 'block1-0': a name may join word characters with '-'.
        ParameterCase{"NameWithHyphen", "3x8x8", "seq block1-0 {\n  conv2d(4, 3)\n}\nrelu",
                      {"block1-0.0.weight 4×3×3×3", "block1-0.0.bias 4"}},
        // ConvNeXt: a linear over channels keeps nn.Linear's out×in weight; a parameter is named by
        // its path; layer norms have weight and bias.
        ParameterCase{"ConvNeXtBlockNames", "8x4x4",
                      "layernorm2d stem\nmul {\n  branch {\n    seq block {\n      permute((0, 2, 3, 1))\n"
                      "      layernorm\n      linear(16)\n      permute((0, 3, 1, 2))\n    }\n  }\n"
                      "  branch { parameter layer_scale((16, 1, 1)) }\n}",
                      {"stem.weight 8", "stem.bias 8", "block.1.weight 8", "block.1.bias 8", "block.2.weight 16×8",
                       "block.2.bias 16", "layer_scale 16×1×1"}},
        ParameterCase{"BatchNorm1d", "2x2x2", "flatten\nbatchnorm1d norm",
                      {"norm.weight 8", "norm.bias 8", "norm.running_mean 8",
                       "norm.running_var 8"}}),
    CaseName());

struct ErrorCase {
  const char *name;
  const char *input;   // null: `layers` is the whole file
  const char *layers;
  std::size_t errors;  // how many "error:" lines
  std::vector<std::string> messages;
};

std::ostream &operator<<(std::ostream &out, const ErrorCase &c) { return out << c.name; }

class UserError : public ::testing::TestWithParam<ErrorCase> {};

// A user mistake yields no network and diagnostics stating the concrete numbers.
TEST_P(UserError, IsReported) {
  const ErrorCase &c = GetParam();
  std::string rendered;
  auto network = check_source(c.input ? model_text(c.input, c.layers) : c.layers, &rendered);
  EXPECT_FALSE(network);
  EXPECT_EQ(count(rendered, "error:"), c.errors) << rendered;
  for (const std::string &message : c.messages) {
    EXPECT_NE(rendered.find(message), std::string::npos) << "missing: " << message << "\n"
                                                         << rendered;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Layers, UserError,
    ::testing::Values(
        ErrorCase{"MulShapesDoNotBroadcast", "8x5x5",
                  "mul {\n  branch {}\n  branch { conv2d a(4, 1) }\n}", 1,
                  {"mul's branches differ in channels: 8 and 4 (branch 2), and neither is 1",
                   "mul broadcasts as PyTorch does"}},
        ErrorCase{"ChunkPastTheLast", "5x2x2", "chunk(4, 3)", 1,
                  {"chunk 3 does not exist: x.chunk(4, dim=1) of 5 channels gives 3 chunks of up to 2",
                   "the last is index=2"}},
        ErrorCase{"NarrowPastTheEnd", "6x2x2", "narrow(4, 3)", 1,
                  {"narrow(4, 3) reads channels 4 to 6, but its input has 6 channels"}},
        ErrorCase{"ChannelShuffleGroupsDoNotDivide", "10x2x2", "channel_shuffle(4)", 1,
                  {"channel_shuffle's 4 groups do not divide its 10 channels"}},
        ErrorCase{"SiluTakesNoArguments", "4", "silu(1)", 1, {"silu takes no arguments"}},
        ErrorCase{"ReflectionPadAsLargeAsTheImage", "1x3x4", "reflectionpad2d((0, 0, 3, 0))", 1,
                  {"reflectionpad2d pads 3 on a side of an image 3 high"}},
        ErrorCase{"PaddingOfTwoNumbers", "1x3x4", "zeropad2d((1, 2))", 1,
                  {"zeropad2d padding is one number or four, (left, right, top, bottom), not 2"}},
        ErrorCase{"ConstantPadWithoutValue", "1x3x4", "constantpad2d(1)", 1,
                  {"constantpad2d needs the value it pads with"}},
        ErrorCase{"AvgPoolHasNoDilation", "1x9x9", "avgpool2d(3, dilation=2)", 1, {"avgpool2d has no parameter 'dilation'"}},
        ErrorCase{"WindowLargerThanInput", "1x4x4", "conv2d(1, kernel=5)", 1,
                  {"test.net:3:1: error: conv2d window is larger than its padded input: output "
                   "height would be ⌊(4 + 2·0 − 1·(5−1) − 1)/1⌋ + 1 = 0",
                   "the window spans 5 rows, the padded input n + 2p = 4",
                   "note: the model's input is 1×4×4",
                   "use a kernel of at most 4 along the height"}},
        ErrorCase{"WindowTooWideOnly", "1x8x4", "conv2d(1, kernel=(3, 5))", 1,
                  {"output width would be ⌊(4 + 2·0 − 1·(5−1) − 1)/1⌋ + 1 = 0", "5 columns"}},
        ErrorCase{"DilatedWindowTooLarge", "1x5x5", "conv2d(1, kernel=3, dilation=3)", 1,
                  {"⌊(5 + 2·0 − 3·(3−1) − 1)/1⌋ + 1 = -1", "d·(k−1)+1 = 7 rows"}},
        ErrorCase{"PoolOutputBelowOneAfterConv", "1x6x6", "conv2d(2, kernel=5)\nmaxpool2d(3)", 1,
                  {"test.net:4:1: error: maxpool2d window is larger",
                   "test.net:3:1: note: conv2d (layer 0)", "2×2×2"}},
        ErrorCase{"PoolPaddingOverHalfKernel", "1x8x8", "maxpool2d(2, padding=2)", 1,
                  {"test.net:3:22: error: maxpool2d padding 2 along the height is more than half "
                   "the kernel size 2",
                   "use padding of at most 1"}},
        ErrorCase{"PoolPaddingOverHalfKernelWidth", "1x8x8", "avgpool2d((4, 2), padding=(1, 2))",
                  1, {"avgpool2d padding 2 along the width is more than half the kernel size 2"}},
        ErrorCase{"ConvInMismatch", "3x8x8", "conv2d(6, kernel=3, in=1)", 1,
                  {"test.net:3:24: error: conv2d declares in=1, but its input has 3 channels",
                   "help: write in=3, or leave 'in' out to infer it"}},
        ErrorCase{"LinearInMismatch", "16x5x5", "flatten\nlinear(120, in=256)", 1,
                  {"linear declares in=256, but its input has 400 features",
                   "test.net:3:1: note: flatten (layer 0)", "help: write in=400"}},
        ErrorCase{"GroupsDoNotDivideInput", "3x8x8", "conv2d(4, kernel=3, groups=2)", 1,
                  {"conv2d groups=2 does not divide its 3 input channels"}},
        ErrorCase{"GroupsDoNotDivideOutput", "4x8x8", "conv2d(3, kernel=3, groups=2)", 1,
                  {"conv2d groups=2 does not divide its 3 output channels"}},
        ErrorCase{"LinearNeedsFlatten", "16x5x5", "linear(10)", 1,
                  {"linear needs a flat input of features, but its input is 16×5×5",
                   "help: insert 'flatten' before this line"}},
        ErrorCase{"ConvOnFeatures", "400", "conv2d(6, kernel=3)", 1,
                  {"conv2d needs a C×H×W input, but its input is 400"}},
        ErrorCase{"PoolOnFeatures", "400", "maxpool2d(2)", 1,
                  {"maxpool2d needs a C×H×W input, but its input is 400"}},
        ErrorCase{"InputOver2To31Elements", "1x16777216x16777216", "relu", 1,
                  {"input 1×16777216×16777216 has more than 2^31−1 elements per image"}},
        ErrorCase{"OutputOver2To31Elements", "1x16384x16384", "conv2d(64, kernel=1)", 1,
                  {"conv2d (layer 0) output 64×16384×16384 has more than 2^31−1 elements"}},
        ErrorCase{"ParameterOver2To31Elements", "16777216", "linear(16777216)", 1,
                  {"parameter 0.weight (16777216×16777216) has more than 2^31−1 elements"}}),
    CaseName());

INSTANTIATE_TEST_SUITE_P(
    ModernLayers, UserError,
    ::testing::Values(
        ErrorCase{"BatchNormChannelsMismatch", "3x8x8", "batchnorm2d(4)", 1,
                  {"test.net:3:13: error: batchnorm2d declares num_features=4, but its input has "
                   "3 channels",
                   "note: the model's input is 3×8×8",
                   "help: write 3, or leave 'num_features' out to infer it"}},
        ErrorCase{"BatchNormChannelsMismatchAfterConv", "3x8x8",
                  "conv2d(16, 3, padding=1)\nbatchnorm2d(num_features=32)", 1,
                  {"test.net:4:26: error: batchnorm2d declares num_features=32, but its input "
                   "has 16 channels",
                   "test.net:3:1: note: conv2d (layer 0) turns 3×8×8 into 16×8×8"}},
        ErrorCase{"BatchNorm1dFeaturesMismatch", "400", "batchnorm1d(40)", 1,
                  {"batchnorm1d declares num_features=40, but its input has 400 features",
                   "help: write 400, or leave 'num_features' out"}},
        ErrorCase{"BatchNormEpsZero", "3x8x8", "batchnorm2d(eps=0)", 1,
                  {"test.net:3:17: error: batchnorm2d argument 'eps' must be greater than 0, got 0"}},
        ErrorCase{"BatchNormEpsNegative", "10", "batchnorm1d(eps=-0.5)", 1,
                  {"batchnorm1d argument 'eps' must be greater than 0, got -0.5"}},
        ErrorCase{"BatchNormEpsNotNumber", "10", "batchnorm1d(eps=true)", 1,
                  {"batchnorm1d argument 'eps' must be a number, not a word"}},
        ErrorCase{"BatchNormMomentumAboveOne", "3x8x8", "batchnorm2d(momentum=1.5)", 1,
                  {"batchnorm2d argument 'momentum' must lie in [0, 1], got 1.5"}},
        ErrorCase{"BatchNormAffineNotBoolean", "3x8x8", "batchnorm2d(affine=1)", 1,
                  {"batchnorm2d argument 'affine' must be true or false, not an integer"}},
        ErrorCase{"BatchNormWithoutRunningStatistics", "3x8x8",
                  "batchnorm2d(track_running_stats=false)", 1,
                  {"test.net:3:33: error: batchnorm2d track_running_stats=false is not "
                   "supported: cnngen compiles inference with running statistics",
                   "note: without running statistics PyTorch normalizes with each batch's own"}},
        ErrorCase{"BatchNormZeroFeatures", "3x8x8", "batchnorm2d(0)", 1,
                  {"batchnorm2d argument 'num_features' must be at least 1, got 0"}},
        ErrorCase{"BatchNormSixPositional", "3x8x8", "batchnorm2d(3, 0.001, 0.1, true, true, 1)", 1,
                  {"test.net:3:40: error: batchnorm2d takes at most 5 arguments ('num_features', 'eps', "
                   "'momentum', 'affine', 'track_running_stats')"}},
        ErrorCase{"BatchNorm1dOnImage", "3x8x8", "batchnorm1d(3)", 1,
                  {"test.net:3:1: error: batchnorm1d needs a flat input of features, but its "
                   "input is 3×8×8",
                   "help: write 'batchnorm2d' to normalize each channel of a C×H×W input"}},
        ErrorCase{"BatchNorm2dOnFeatures", "400", "batchnorm2d", 1,
                  {"batchnorm2d needs a C×H×W input, but its input is 400",
                   "help: write 'batchnorm1d' to normalize each feature of a flat input"}},
        ErrorCase{"AdaptivePoolZeroOutput", "3x8x8", "adaptiveavgpool2d((0, 2))", 1,
                  {"test.net:3:19: error: adaptiveavgpool2d argument 'output' must be at least 1, "
                   "got 0"}},
        ErrorCase{"AdaptivePoolWithoutOutput", "3x8x8", "adaptivemaxpool2d", 1,
                  {"adaptivemaxpool2d needs argument 'output'"}},
        ErrorCase{"AdaptivePoolTripleOutput", "3x8x8", "adaptivemaxpool2d((1, 2, 3))", 1,
                  {"adaptivemaxpool2d argument 'output' must be a (height, width) pair, not 3 "
                   "values"}},
        ErrorCase{"AdaptivePoolOnFeatures", "400", "adaptiveavgpool2d(1)", 1,
                  {"adaptiveavgpool2d needs a C×H×W input, but its input is 400"}},
        ErrorCase{"AdaptivePoolOutputOver2To31Elements", "64x8x8", "adaptiveavgpool2d(8192)", 1,
                  {"adaptiveavgpool2d (layer 0) output 64×8192×8192 has more than 2^31−1 "
                   "elements"}},
        ErrorCase{"CeilModeNotBoolean", "1x8x8", "maxpool2d(2, ceil_mode=1)", 1,
                  {"maxpool2d argument 'ceil_mode' must be true or false, not an integer"}},
        ErrorCase{"MaxPoolCeilModeIsKeywordOnly", "1x8x8", "maxpool2d(2, 2, 0, 1, true)", 1,
                  {"test.net:3:23: error: maxpool2d takes 4 positional arguments ('kernel', 'stride', "
                   "'padding', 'dilation'); 'ceil_mode' is keyword-only",
                   "note: nn.MaxPool2d's fifth parameter is return_indices, which cnngen does not give",
                   "help: write ceil_mode=true"}},
        ErrorCase{"MaxPoolFourthIsDilation", "1x8x8", "maxpool2d(2, 2, 0, true)", 1,
                  {"maxpool2d argument 'dilation' must be an integer or a (height, width) pair"}},
        ErrorCase{"AvgPoolSixPositional", "1x8x8", "avgpool2d(2, 2, 0, true, true, 1)", 1,
                  {"avgpool2d takes at most 5 arguments ('kernel', 'stride', 'padding', 'ceil_mode', "
                   "'count_include_pad')"}},
        ErrorCase{"CeilModeWindowTooLarge", "1x2x2", "maxpool2d(5, stride=2, ceil_mode=true)", 1,
                  {"test.net:3:1: error: maxpool2d window is larger than its padded input: output "
                   "height would be ⌈(2 + 2·0 − 1·(5−1) − 1)/2⌉ + 1 = 0",
                   "the window spans 5 rows, the padded input n + 2p = 2, and ceil_mode lets a "
                   "window overhang it by s − 1 = 1",
                   "help: use a kernel of at most 3 along the height, or padding of at least 1"}},
        ErrorCase{"CeilModeKeepsPaddingLimit", "1x8x8", "maxpool2d(2, padding=2, ceil_mode=true)",
                  1, {"maxpool2d padding 2 along the height is more than half the kernel size 2"}},
        ErrorCase{"Relu6TakesNoArguments", "1x8x8", "relu6(6)", 1,
                  {"test.net:3:7: error: relu6 takes no arguments", "help: write 'relu6' alone"}},
        ErrorCase{"IdentityTakesNoArguments", "1x8x8", "identity(p=1)", 1,
                  {"identity has no parameter 'p'"}}),
    CaseName());

INSTANTIATE_TEST_SUITE_P(
    Arguments, UserError,
    ::testing::Values(
        ErrorCase{"UnknownLayer", "1x8x8", "maxpool(2)", 1,
                  {"test.net:3:1: error: unknown layer 'maxpool'", "did you mean 'maxpool2d'?"}},
        ErrorCase{"UnknownParameter", "1x8x8", "conv2d(6, kernal=5)", 2,
                  {"test.net:3:11: error: conv2d has no parameter 'kernal'",
                   "did you mean 'kernel'?", "conv2d needs argument 'kernel'"}},
        ErrorCase{"DuplicateArgument", "1x8x8", "conv2d(6, kernel=3, kernel=5)", 1,
                  {"test.net:3:21: error: conv2d argument 'kernel' is given twice",
                   "test.net:3:11: note: first given here"}},
        ErrorCase{"PositionalThenKeyword", "1x8x8", "conv2d(6, 3, kernel=5)", 1,
                  {"conv2d argument 'kernel' is given twice"}},
        ErrorCase{"TooManyPositional", "1x8x8", "maxpool2d(2, 2, 0, 1, 1)", 1,
                  {"test.net:3:23: error: maxpool2d takes 4 positional arguments"}},
        ErrorCase{"PositionalForActivation", "1x8x8", "relu(1)", 1, {"relu takes no arguments"}},
        ErrorCase{"LinearInIsKeywordOnly", "400", "linear(120, 400, false)", 1,
                  {"test.net:3:13: error: linear takes 1 positional argument ('out'); 'in' and 'bias' "
                   "are keyword-only",
                   "note: nn.Linear(in_features, out_features, bias) takes 'in' first; cnngen's linear "
                   "takes 'out' first and infers 'in'",
                   "help: write in=400"}},
        ErrorCase{"ConvInIsKeywordOnly", "3x8x8", "conv2d(4, 3, 1, 1, 1, 1, true, 3)", 1,
                  {"test.net:3:32: error: conv2d takes 7 positional arguments ('out', 'kernel', 'stride', "
                   "'padding', 'dilation', 'groups', 'bias'); 'in' is keyword-only",
                   "help: write in=3"}},
        ErrorCase{"TupleOfOneIsNotAPair", "1x8x8", "conv2d(2, kernel=(3,))", 1,
                  {"conv2d argument 'kernel' must be a (height, width) pair, not 1 values"}},
        ErrorCase{"TupleOfOneIsNotANumber", "1x8x8", "conv2d((2,) * 2, 3)", 1,
                  {"'*' needs a number, not a tuple"}},
        ErrorCase{"MissingRequiredArgument", "1x8x8", "conv2d(6)", 1,
                  {"conv2d needs argument 'kernel'", "help: write conv2d(kernel=…)"}},
        ErrorCase{"LinearWithoutOut", "400", "linear", 1, {"linear needs argument 'out'"}},
        ErrorCase{"WordForKernel", "1x8x8", "conv2d(6, kernel=true)", 1,
                  {"test.net:3:18: error: conv2d argument 'kernel' must be an integer or a "
                   "(height, width) pair, not a word"}},
        ErrorCase{"DecimalForOut", "1x8x8", "conv2d(2.5, kernel=3)", 1,
                  {"conv2d argument 'out' must be an integer, not a decimal number"}},
        ErrorCase{"IntegerForBias", "1x8x8", "conv2d(6, kernel=3, bias=1)", 1,
                  {"conv2d argument 'bias' must be true or false, not an integer"}},
        ErrorCase{"TripleForKernel", "1x8x8", "conv2d(6, kernel=(1, 2, 3))", 1,
                  {"conv2d argument 'kernel' must be a (height, width) pair, not 3 values"}},
        ErrorCase{"ZeroOut", "1x8x8", "conv2d(0, kernel=3)", 1,
                  {"conv2d argument 'out' must be at least 1, got 0"}},
        ErrorCase{"ZeroStride", "1x8x8", "maxpool2d(2, stride=(1, 0))", 1,
                  {"maxpool2d argument 'stride' must be at least 1, got 0"}},
        ErrorCase{"NegativePadding", "1x8x8", "conv2d(6, kernel=3, padding=-1)", 1,
                  {"conv2d argument 'padding' must be at least 0, got -1"}},
        ErrorCase{"DropoutAboveOne", "1x8x8", "dropout(1.5)", 1,
                  {"dropout argument 'p' must lie in [0, 1], got 1.5"}},
        ErrorCase{"HugeKernelIsNotWrapped", "1x8x8", "conv2d(6, kernel=1099511627776)", 1,
                  {"conv2d argument 'kernel' is 1099511627776, more than cnngen's limit of "
                   "16777216"}},
        ErrorCase{"HugeValueInTuple", "1x8x8", "conv2d(6, kernel=(3, 4294967297))", 1,
                  {"conv2d argument 'kernel' is 4294967297"}}),
    CaseName());

INSTANTIATE_TEST_SUITE_P(
    Statements, UserError,
    ::testing::Values(
        ErrorCase{"DuplicateLayerNames", "400", "linear fc(10)\nlinear fc(5)", 1,
                  {"test.net:4:8: error: a layer named 'fc' already exists",
                   "test.net:3:8: note: the first 'fc' is here"}},
        ErrorCase{"MissingInput", nullptr, "model m\nrelu\n", 1,
                  {"test.net:1:1: error: model 'm' has no 'input' line"}},
        ErrorCase{"MissingModel", nullptr, "input 1x4x4\nrelu\n", 1,
                  {"test.net:1:1: error: missing 'model NAME' line"}},
        ErrorCase{"LayerBeforeInput", nullptr, "model m\nrelu\ninput 1x4x4\nrelu\n", 2,
                  {"test.net:2:1: error: layer before the model's 'input' line",
                   "test.net:3:1: error: 'input' must come before the layers"}},
        ErrorCase{"ModelNotFirst", nullptr, "input 4\nmodel m\nrelu\n", 1,
                  {"test.net:2:1: error: the 'model' line must come first"}},
        ErrorCase{"SecondModel", nullptr, "model a\nmodel b\ninput 4\n", 1,
                  {"test.net:2:1: error: a file holds one model; this is a second 'model' line"}},
        ErrorCase{"SecondInput", nullptr, "model m\ninput 4\ninput 5\n", 1,
                  {"test.net:3:1: error: the model has a second 'input' line"}},
        ErrorCase{"InputOfRank2", "4x4", "relu", 1,
                  {"input must be C×H×W (an image) or F (features), not 2 dimensions"}},
        ErrorCase{"InputOfRank4", "1x1x4x4", "relu", 1, {"not 4 dimensions"}},
        ErrorCase{"InputDimensionZero", "1x0x4", "relu", 1,
                  {"input dimension 0 must lie in [1, 16777216]"}},
        ErrorCase{"SeveralIndependentErrors", "1x4x4", "conv2d(1, kernel=5)\nfoo\nlinear(0)", 3,
                  {"test.net:3:1: error: conv2d window", "test.net:4:1: error: unknown layer 'foo'",
                   "test.net:5:8: error: linear argument 'out' must be at least 1, got 0"}},
        ErrorCase{"LaterArgumentsCheckedAfterBadLayer", "1x8x8",
                  "conv2d(6, kernel=0)\nrelu\nmaxpool2d(2, strid=2)", 2,
                  {"test.net:3:18: error: conv2d argument 'kernel' must be at least 1, got 0",
                   "test.net:5:14: error: maxpool2d has no parameter 'strid'",
                   "did you mean 'stride'?"}}),
    CaseName());

// A name far from every layer kind gets no suggestion rather than a misleading one.
TEST(ShapeInference, UnknownLayerWithoutCloseMatchHasNoSuggestion) {
  std::string rendered;
  EXPECT_FALSE(check_source(model_text("1x8x8", "transformer(8)"), &rendered));
  EXPECT_NE(rendered.find("unknown layer 'transformer'"), std::string::npos) << rendered;
  EXPECT_EQ(rendered.find("did you mean"), std::string::npos) << rendered;
}

// A layer may take any name, also one cnngen would give to generated code: the name of an
// unnamed layer's Funcs ("conv2d_0"), another layer's weight ("c_weight"), the model's input
// ("input"). The generated names make way (dsl/symbols.hpp).
TEST(ShapeInference, NameLikeAGeneratedOneIsAccepted) {
  std::string rendered;
  std::string layers = "conv2d(2, kernel=3)\nconv2d conv2d_0(2, kernel=3)\nconv2d input(2, 1)\n"
                       "conv2d c(2, 1)\nconv2d c_weight(2, 1)";
  auto network = check_source(model_text("1x8x8", layers.c_str()), &rendered);
  ASSERT_TRUE(network) << rendered;
  EXPECT_EQ(rendered, "");
}

// A file full of mistakes shows at most Diagnostics::kMaxErrors errors.
TEST(ShapeInference, ShowsAtMostTwentyErrors) {
  std::string layers;
  for (int i = 0; i < 30; ++i) layers += "bogus\n";
  std::string rendered;
  EXPECT_FALSE(check_source(model_text("4", layers.c_str()), &rendered));
  EXPECT_EQ(count(rendered, "error:"), Diagnostics::kMaxErrors) << rendered;
  EXPECT_NE(rendered.find("test.net:22:1: error: unknown layer 'bogus'"), std::string::npos)
      << rendered;
}

}  // namespace
}  // namespace cnngen::testing
