// The generated code's names (dsl/symbols.hpp): a layer's names are its own where they are free,
// the names of different nodes never meet, and the model's own names make way for the layers'.
#include "dsl/symbols.hpp"

#include <map>
#include <stdexcept>

#include <gtest/gtest.h>

#include "check_source.hpp"

namespace cnngen::testing {
namespace {

/// The checked network of `layers` after a model line and an 8×16×16 input, which must pass.
Network checked(const std::string &layers) {
  std::string diagnostics;
  std::optional<Network> network = check_source("model m\ninput 8x16x16\n" + layers, &diagnostics);
  EXPECT_TRUE(network) << diagnostics;
  return network ? *network : Network{};
}

std::map<std::string, std::string> symbols_by_path(const Network &network) {
  std::map<std::string, std::string> out;
  for (const Node &node : network.nodes) out[node.path] = symbol_name(node);
  return out;
}

/// Fails for every generated name two nodes share.
void expect_names_apart(const Network &network) {
  std::map<std::string, std::string> owner;
  for (const Node &node : network.nodes) {
    for (const std::string &name : generated_names(node)) {
      auto [it, fresh] = owner.emplace(name, node.path);
      EXPECT_TRUE(fresh) << "'" << name << "' of '" << node.path << "' is also '" << it->second << "''s";
    }
  }
}

// A model whose names provoke nothing keeps the symbols cnngen always gave: named layers their
// path, the others kind and path.
TEST(Symbols, FreeNamesAreTheLayersOwn) {
  Network n = checked("conv2d(8, 3, padding=1)\nseq layer1 {\n  conv2d conv1(8, 1)\n  relu\n}\n"
                      "seq {\n  conv2d c(8, 1)\n}\nflatten\nlinear fc(3)\n");
  EXPECT_EQ(symbols_by_path(n),
            (std::map<std::string, std::string>{{"0", "conv2d_0"},
                                                {"layer1.conv1", "layer1_conv1"},
                                                {"layer1.1", "relu_layer1_1"},
                                                {"2.c", "conv2d_2_c"},
                                                {"3", "flatten_3"},
                                                {"fc", "fc"}}));
  expect_names_apart(n);
}

// Names equal to names cnngen derives for other layers: an unnamed layer's symbol, a dotted path
// with underscores, another layer's weight, its padded input, its batched copy, a concatenation's
// reduction. Named layers are served first and in order; each node's names stay apart.
TEST(Symbols, NamesLikeGeneratedOnesStayApart) {
  Network n = checked(
      "conv2d(8, 3, padding=1)\nconv2d conv2d_0(8, 1)\nseq s {\n  relu a\n}\nrelu s_a\n"
      "conv2d fc(8, 3, padding=1)\nconv2d fc_weight(8, 1)\nconv2d fc_padded(8, 1)\n"
      "conv2d fc_batched(8, 1)\nconcat {\n  branch {}\n  branch {}\n}\nconv2d concat_concat0_r1(8, 1)\n");
  std::map<std::string, std::string> symbols = symbols_by_path(n);
  EXPECT_EQ(symbols["conv2d_0"], "conv2d_0");
  EXPECT_EQ(symbols["0"], "conv2d_0_2");
  EXPECT_EQ(symbols["s.a"], "s_a");
  EXPECT_EQ(symbols["s_a"], "s_a_2");
  EXPECT_EQ(symbols["fc"], "fc");
  EXPECT_EQ(symbols["fc_weight"], "fc_weight_2");
  EXPECT_EQ(symbols["fc_padded"], "fc_padded_2");
  EXPECT_EQ(symbols["fc_batched"], "fc_batched_2");
  EXPECT_EQ(symbols["concat_concat0_r1"], "concat_concat0_r1");
  EXPECT_EQ(symbols["concat0"], "concat_concat0_2");
  expect_names_apart(n);
}

// The model's own names (its input and output arguments, the Func reading the input) are the
// preferred ones unless a layer holds them, and are never handed out twice.
TEST(Symbols, ModelNamesMakeWayForLayers) {
  Network plain = checked("conv2d(8, 1)\n");
  ModelNames plain_names(plain);
  EXPECT_EQ(plain_names.take("input"), "input");
  EXPECT_EQ(plain_names.take("input"), "input_2");
  EXPECT_EQ(plain_names.take("m_output"), "m_output");

  Network n = checked("conv2d input(8, 1)\nconv2d input_2(8, 1)\nconv2d m_output(8, 1)\n");
  ModelNames names(n);
  EXPECT_EQ(names.take("input"), "input_3");
  EXPECT_EQ(names.take("input_values"), "input_values");
  EXPECT_EQ(names.take("m_output"), "m_output_2");
  EXPECT_EQ(names.take("input_weight"), "input_weight_2");
}

// A node that assign_symbols() never saw has no symbol: asking for it is an internal error, not
// an empty name that would collide.
TEST(Symbols, NodeWithoutSymbolIsAnInternalError) {
  Node node;
  node.kind = "relu";
  node.path = "0";
  EXPECT_THROW(symbol_name(node), std::logic_error);
}

}  // namespace
}  // namespace cnngen::testing
