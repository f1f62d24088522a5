// Definitions, `seq` blocks, joins and conditions: the graph and the module paths they give, the
// expressions in their arguments, and the errors only blocks can have.
#include <gtest/gtest.h>

#include "check_source.hpp"
#include "dsl/symbols.hpp"

namespace cnngen::testing {
namespace {

#define HEAD "model m\ninput 8x16x16\n"

/// The checked network of `text`, which must have no error.
Network checked(const std::string &text) {
  std::string diagnostics;
  std::optional<Network> network = check_source(text, &diagnostics);
  EXPECT_TRUE(network) << diagnostics;
  return network ? *network : Network{};
}

/// The rendered diagnostics of `text`, which must fail.
std::string errors_of(const std::string &text) {
  std::string diagnostics;
  EXPECT_FALSE(check_source(text, &diagnostics));
  return diagnostics;
}

std::vector<std::string> paths(const Network &network) {
  std::vector<std::string> out;
  for (const Node &node : network.nodes) out.push_back(node.path);
  return out;
}

const Shape &output_shape(const Network &network) {
  return network.tensors[static_cast<std::size_t>(network.output)].shape;
}

const char *const kResidual = R"(
def residual(channels, stride=1, use_1x1conv=false) {
  add {
    branch {
      conv2d conv1(channels, 3, padding=1, stride=stride)
      relu
      conv2d conv2(channels, 3, padding=1)
    }
    branch {
      if use_1x1conv { conv2d conv3(channels, 1, stride=stride) }
    }
  }
  relu
}
)";

// Instances in a named seq block get PyTorch's nested names; joins read every branch's output.
TEST(Blocks, ResidualPathsFollowTheModuleTree) {
  Network n = checked(std::string(HEAD) + kResidual + R"(
conv2d(8, 3, padding=1)
seq layer1 {
  residual(8)
  residual(16, stride=2, use_1x1conv=true)
}
flatten
linear fc(10)
)");
  EXPECT_EQ(paths(n), (std::vector<std::string>{
                          "0", "layer1.0.conv1", "layer1.0.add0.0.0", "layer1.0.conv2", "layer1.0.add0",
                          "layer1.0.0", "layer1.1.conv1", "layer1.1.add0.0.0", "layer1.1.conv2",
                          "layer1.1.conv3", "layer1.1.add0", "layer1.1.0", "2", "fc"}));
  const Node &add = n.nodes[10];
  EXPECT_TRUE(std::holds_alternative<Add>(add.op));
  ASSERT_EQ(add.inputs.size(), 2u);
  EXPECT_EQ(add.inputs[0], n.nodes[8].output);  // conv2
  EXPECT_EQ(add.inputs[1], n.nodes[9].output);  // conv3
  EXPECT_EQ(n.nodes[10].scope, "layer1.1");
  EXPECT_EQ(output_shape(n), (Shape{10}));
  std::vector<std::string> names;
  for (const Parameter &p : parameters(n.nodes[9])) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"layer1.1.conv3.weight", "layer1.1.conv3.bias"}));
}

// An empty branch is the identity: the add reads the join's input itself.
TEST(Blocks, EmptyBranchIsTheIdentity) {
  Network n = checked(HEAD "relu\nadd {\n  branch { conv2d c(8, 3, padding=1) }\n  branch {}\n}\n");
  const Node &add = n.nodes.back();
  EXPECT_EQ(add.inputs, (std::vector<int>{n.nodes[1].output, n.nodes[0].output}));
}

// Concatenation stacks channels in branch order and keeps H×W; flat features concatenate too.
TEST(Blocks, ConcatStacksChannels) {
  Network n = checked(HEAD R"(concat {
  branch { conv2d a(3, 1) }
  branch {
    conv2d b(5, 3, padding=1)
    relu
  }
  branch {}
  branch { maxpool2d p(3, stride=1, padding=1) }
}
)");
  EXPECT_EQ(output_shape(n), (Shape{3 + 5 + 8 + 8, 16, 16}));
  Network flat = checked("model m\ninput 6\nconcat {\n branch { linear a(4) }\n branch {}\n}\n");
  EXPECT_EQ(output_shape(flat), (Shape{10}));
}

// Unnamed children count positions only where present: a false `if` takes none, as a Python list
// built with conditional appends; a named child never shifts the others.
TEST(Blocks, PositionsCountPresentChildren) {
  Network n = checked(HEAD R"(def body(expand) {
  if expand { conv2d(16, 1) }
  conv2d(8, 3, padding=1, groups=8)
  conv2d(8, 1)
}
body(true)
body(false)
)");
  EXPECT_EQ(paths(n), (std::vector<std::string>{"0.0", "0.1", "0.2", "1.0", "1.1"}));
}

// Dotted names give module paths whose forward is not their child order (D2L's DenseBlock).
TEST(Blocks, DottedNames) {
  Network n = checked(HEAD R"(def conv_block(c) {
  relu
  conv2d(c, 3, padding=1)
}
def dense_block(c) {
  concat {
    branch {}
    branch { conv_block net.0(c) }
  }
  concat {
    branch {}
    branch { conv_block net.1(c) }
  }
}
dense_block(4)
)");
  std::vector<std::string> weights;
  for (const Node &node : n.nodes)
    for (const Parameter &p : parameters(node)) weights.push_back(p.name);
  EXPECT_EQ(weights, (std::vector<std::string>{"0.net.0.1.weight", "0.net.0.1.bias", "0.net.1.1.weight",
                                                "0.net.1.1.bias"}));
  EXPECT_EQ(output_shape(n), (Shape{16, 16, 16}));
}

// Expressions: precedence, Python's floor division and modulo, comparisons and logic; a default
// may use the parameters before it.
TEST(Blocks, ArgumentExpressions) {
  Network n = checked(HEAD R"(def block(c, half=c // 2, odd=c % 2 == 1) {
  conv2d(half + 1 * 2, 1)
  if odd or not (c > 3) { relu } else { conv2d(-7 // 2 * -1, 1) }
  conv2d((c - 1) % -3 + 10, 1)
}
block(12)
)");
  ASSERT_EQ(n.nodes.size(), 3u);
  EXPECT_EQ(n.tensors[static_cast<std::size_t>(n.nodes[0].output)].shape[0], 8);  // 6 + 2
  EXPECT_EQ(n.tensors[static_cast<std::size_t>(n.nodes[1].output)].shape[0], 4);  // ⌊−3.5⌋·−1
  EXPECT_EQ(n.tensors[static_cast<std::size_t>(n.nodes[2].output)].shape[0], 9);  // 11 mod −3 = −1
}

// Tuples of expressions; a parenthesized single value groups.
TEST(Blocks, TupleArguments) {
  Network n = checked(HEAD "def b(k) {\n  conv2d(4, (k, k + 2), padding=(k // 3, (k + 3) // 3))\n}\nb(3)\n");
  EXPECT_EQ(output_shape(n), (Shape{4, 16, 16}));
}

// An error inside a definition used three times is one error with notes for the instances.
TEST(Blocks, ErrorInDefinitionReportedOnce) {
  std::string e = errors_of(HEAD "def b(c) {\n  conv2d(c, 3, paddin=1)\n}\nb(4)\nb(4)\nb(4)\n");
  EXPECT_EQ(e.find("has no parameter 'paddin'"), e.rfind("has no parameter 'paddin'")) << e;
  EXPECT_NE(e.find("note: in '0', an instance of 'b' used here"), std::string::npos) << e;
  EXPECT_NE(e.find("note: the same in '2', an instance of 'b'"), std::string::npos) << e;
}

// Different causes in different instances are reported separately, each with its instance.
TEST(Blocks, DistinctCausesReportedPerInstance) {
  std::string e = errors_of(HEAD "def b(c) {\n  conv2d(4, c)\n}\nb(3)\nb(40)\nb(50)\n");
  EXPECT_NE(e.find("in '1', an instance of 'b'"), std::string::npos) << e;
}

// The mistakes only blocks allow, each a located error.
TEST(Blocks, BlockErrors) {
  struct Case {
    const char *text, *message;
  } cases[] = {
      {"def b(c) {\n  b(c)\n}\nb(1)\n", "'b' uses itself"},
      {"def b(c) {\n  relu\n}\nb(1, 2)\n", "b takes 1 argument, this is one more"},
      {"def b(c) {\n  relu\n}\nb(1, c=2)\n", "b argument 'c' is given twice"},
      {"def b(c) {\n  relu\n}\nb()\n", "b needs argument 'c'"},
      {"def b(c) {\n  relu\n}\nb(d=1)\n", "b has no parameter 'd'"},
      {"def relu(c) {\n  relu\n}\n", "'relu' is a built-in layer"},
      {"def b(c) {\n  relu\n}\ndef b(d) {\n  relu\n}\n", "'b' is defined twice"},
      {"def b(c, c) {\n  relu\n}\n", "'b' has two parameters named 'c'"},
      {"seq {\n  def b(c) {\n    relu\n  }\n}\n", "a definition belongs at the top level"},
      {"add {\n  branch { conv2d(8, 1) }\n  branch {}\n}\n", "conv2d inside a branch needs a name"},
      {"add {\n  branch { seq { conv2d(8, 1) } }\n  branch {}\n}\n", "block inside a branch holds layers with weights"},
      {"add {\n  branch { relu }\n}\n", "add needs at least two branches"},
      {"add {\n  branch { maxpool2d(2) }\n  branch {}\n}\n", "add joins branches of different shapes"},
      {"concat {\n  branch { maxpool2d(2) }\n  branch {}\n}\n", "concat's branches differ in height: 8"},
      {"concat {\n  branch { flatten }\n  branch {}\n}\n", "an image and flat features"},
      {"if 3 { relu }\n", "an if condition must be true or false, not an integer"},
      {"conv2d(8 / 2, 1)\n", "'/' is not defined on sizes"},
      {"conv2d(8 // 0, 1)\n", "division by zero"},
      {"conv2d(9223372036854775807 + 1, 1)\n", "too large"},
      {"conv2d(true + 1, 1)\n", "'+' needs a number, not a boolean"},
      {"def b(channels) {\n  conv2d(chanels, 1)\n}\nb(3)\n", "did you mean 'channels'?"},
      {"relu a\nrelu a\n", "a layer named 'a' already exists"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    std::string e = errors_of(std::string(HEAD) + c.text);
    EXPECT_NE(e.find(c.message), std::string::npos) << e;
  }
}

// Definitions that double at each level would expand past the layer limit: one error, no hang.
TEST(Blocks, ExpansionIsBounded) {
  std::string text = HEAD "def d0(c) {\n  relu\n}\n";
  for (int i = 1; i <= 20; ++i) {
    std::string prev = "d" + std::to_string(i - 1);
    text += "def d" + std::to_string(i) + "(c) {\n  " + prev + "(c)\n  " + prev + "(c)\n}\n";
  }
  text += "d20(1)\n";
  std::string e = errors_of(text);
  EXPECT_NE(e.find("more than 10000 layers (after expanding definitions)"), std::string::npos) << e;
}

// Blocks nested deeper than the parser's limit are refused before parsing.
TEST(Blocks, NestingIsBounded) {
  std::string text = HEAD;
  for (int i = 0; i < 100; ++i) text += "seq {\n";
  for (int i = 0; i < 100; ++i) text += "}\n";
  std::string e = errors_of(text);
  EXPECT_NE(e.find("nested more than 64 deep"), std::string::npos) << e;
}

// Files valid before blocks existed mean the same: unnamed layers are numbered by line.
TEST(Blocks, FlatFilesUnchanged) {
  Network n = checked(HEAD "conv2d(6, 3)\nrelu\nflatten\nlinear fc(3)\n");
  EXPECT_EQ(paths(n), (std::vector<std::string>{"0", "1", "2", "fc"}));
  EXPECT_EQ(n.nodes[3].index, 3);
  EXPECT_EQ(symbol_name(n.nodes[0]), "conv2d_0");
  EXPECT_EQ(symbol_name(n.nodes[3]), "fc");
}

}  // namespace
}  // namespace cnngen::testing
