// Shape inference: D2L's output-size arithmetic, state_dict naming, and every user error it
// reports, with the numbers the messages must state.
#include "dsl/infer_shapes.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "check_source.hpp"

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
  std::ifstream file("../examples/lenet/lenet.net", std::ios::binary);
  ASSERT_TRUE(file) << "run from the tests directory";
  std::ostringstream text;
  text << file.rdbuf();
  std::string rendered;
  auto network = check_source(text.str(), &rendered, "lenet.net");
  ASSERT_TRUE(network) << rendered;
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
                      {"0.weight 8×1×3×1", "0.bias 8"}}),
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
        ErrorCase{"TooManyPositional", "1x8x8", "maxpool2d(2, 2, 0, 1)", 1,
                  {"test.net:3:20: error: maxpool2d takes at most 3 positional arguments"}},
        ErrorCase{"PositionalForActivation", "1x8x8", "relu(1)", 1,
                  {"relu takes at most 0 positional arguments"}},
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

// A layer named like the generated symbol of an unnamed layer ("conv2d_0") is a user error, since
// code generation names Funcs and weight Params after symbol_name(). Disabled: shape inference
// accepts it and `cnngen compile` then fails with an internal error (see report).
TEST(ShapeInference, NameCollidingWithGeneratedSymbolIsAnError) {
  std::string rendered;
  std::string layers = "conv2d(2, kernel=3)\nconv2d conv2d_0(2, kernel=3)";
  EXPECT_FALSE(check_source(model_text("1x8x8", layers.c_str()), &rendered));
  EXPECT_NE(rendered.find("test.net:4:8: error:"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("'conv2d_0'"), std::string::npos) << rendered;
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
