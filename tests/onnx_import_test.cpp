// `cnngen import` on real exports and on broken files: the fixtures of tools/make_onnx_fixtures.py
// (small networks holding ResNet's, MobileNetV3's, EfficientNet's, ShuffleNetV2's, DenseNet's and
// GoogLeNet's and ConvNeXt's blocks, exported by PyTorch 1.13 at opsets 11, 13 and 17 with a free batch) against
// PyTorch's outputs; the structure the .net recovers; and the diagnostics for what cannot be
// imported, every node at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "dsl/safetensors.hpp"
#include <onnx/onnx_pb.h>

#include "onnx/import.hpp"
#include "onnx_run.hpp"

namespace cnngen {
namespace {

constexpr int kBatch = 3;

std::string file_bytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

struct Imported {
  std::optional<ImportedModel> model;
  std::string diagnostics;  // rendered
  std::size_t errors = 0;
};

Imported import_bytes(const std::string &bytes, const std::string &name = "model.onnx") {
  SourceFile none(name, "");
  Diagnostics diagnostics(none);
  Imported result;
  result.model = import_onnx(bytes, name, "model", diagnostics);
  std::ostringstream rendered;
  diagnostics.render(rendered);
  result.diagnostics = rendered.str();
  result.errors = diagnostics.error_count();
  return result;
}

class OnnxFixture : public ::testing::TestWithParam<std::string> {};

// Each export imports, checks, and computes PyTorch's outputs at batch 3 within
// allclose(rtol=1e-4, atol=1e-4).
TEST_P(OnnxFixture, MatchesPyTorch) {
  const std::string name = GetParam();
  const std::string net = name.substr(0, name.find("_opset"));
  Imported imported = import_bytes(file_bytes("onnx/" + name + ".onnx"), name + ".onnx");
  ASSERT_TRUE(imported.model) << imported.diagnostics;
  SourceFile none("expected", "");
  Diagnostics diagnostics(none);
  std::optional<TensorFile> expected = read_safetensors("onnx/" + net + ".expected.safetensors", diagnostics);
  ASSERT_TRUE(expected);
  std::optional<std::vector<float>> out = testing::run_imported(*imported.model, expected->at("input").data, kBatch);
  ASSERT_TRUE(out);
  const std::vector<float> &want = expected->at("output").data;
  ASSERT_EQ(out->size(), want.size());
  int mismatches = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (std::abs((*out)[i] - want[i]) > 1e-4 * (1 + std::abs(want[i])) && ++mismatches <= 5)
      ADD_FAILURE() << "output " << i << ": cnngen " << (*out)[i] << ", PyTorch " << want[i];
  }
  EXPECT_EQ(mismatches, 0) << imported.model->net_text;
}

INSTANTIATE_TEST_SUITE_P(Exports, OnnxFixture,
                         ::testing::Values("residual_opset11", "residual_opset13", "residual_opset17",
                                           "mobile_opset11", "mobile_opset13", "mobile_opset17", "dense_opset11",
                                           "dense_opset13", "dense_opset17", "convnext_opset11",
                                           "convnext_opset13", "convnext_opset17"));

std::size_t count(const std::string &text, const std::string &what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The .net reads as the blocks were written: joins with their branches, names from PyTorch's
// module paths, and the patterns of one module made that module's layer.
TEST(OnnxImport, RecoversTheStructure) {
  Imported residual = import_bytes(file_bytes("onnx/residual_opset13.onnx"));
  ASSERT_TRUE(residual.model) << residual.diagnostics;
  const std::string &r = residual.model->net_text;
  EXPECT_NE(r.find("input 3x16x16"), std::string::npos) << r;
  EXPECT_EQ(count(r, "add {"), 1u) << r;
  EXPECT_EQ(count(r, "concat {"), 1u) << r;
  EXPECT_EQ(count(r, "branch {"), 6u) << r;  // the residual's 2, the inception's 4
  EXPECT_NE(r.find("seq downsample {\n        conv2d(16, 1, stride=2)"), std::string::npos) << r;
  EXPECT_EQ(residual.model->weights.count("layer1.downsample.0.weight"), 1u);
  EXPECT_NE(r.find("linear fc(10)"), std::string::npos) << r;
  EXPECT_EQ(residual.model->weights.count("layer1.conv1.weight"), 1u);

  Imported mobile = import_bytes(file_bytes("onnx/mobile_opset11.onnx"));
  ASSERT_TRUE(mobile.model) << mobile.diagnostics;
  const std::string &m = mobile.model->net_text;
  EXPECT_EQ(count(m, "mul {"), 2u) << m;  // the two squeeze-and-excitations
  EXPECT_NE(m.find("hardswish"), std::string::npos) << m;
  EXPECT_NE(m.find("silu"), std::string::npos) << m;
  EXPECT_NE(m.find("hardsigmoid"), std::string::npos) << m;
  EXPECT_NE(m.find("chunk(2, 1)"), std::string::npos) << m;
  EXPECT_NE(m.find("channel_shuffle(2)"), std::string::npos) << m;
  EXPECT_EQ(m.find("dropout"), std::string::npos) << m;  // the identity at inference: left out

  Imported dense = import_bytes(file_bytes("onnx/dense_opset13.onnx"));
  ASSERT_TRUE(dense.model) << dense.diagnostics;
  EXPECT_EQ(count(dense.model->net_text, "concat {"), 3u) << dense.model->net_text;  // cat(cat(cat(x0, x1), x2), x3)

  // ConvNeXt: the layer norm's exported form (opset 13) and LayerNormalization (17) alike.
  for (const char *opset : {"13", "17"}) {
    Imported convnext = import_bytes(file_bytes(std::string("onnx/convnext_opset") + opset + ".onnx"));
    ASSERT_TRUE(convnext.model) << convnext.diagnostics;
    const std::string &c = convnext.model->net_text;
    EXPECT_EQ(count(c, "layernorm2d"), 3u) << c;  // the stem's, the downsampling's, the classifier's
    EXPECT_EQ(count(c, "layernorm(eps=0.000001)"), 2u) << c;
    EXPECT_EQ(count(c, "permute((0, 2, 3, 1))"), 2u) << c;
    EXPECT_EQ(count(c, "gelu"), 2u) << c;
    EXPECT_EQ(count(c, "linear("), 5u) << c;
    EXPECT_NE(c.find("parameter layer_scale((8, 1, 1))"), std::string::npos) << c;
    EXPECT_EQ(count(c, "Erf"), 0u) << c;  // each pattern's nodes are its one layer's
  }
}

// The module tree comes back as seq blocks: `seq layer1 { … }`, and `seq { … }` for a position of
// an nn.Sequential, each layer named within its module, so the state_dict names are PyTorch's.
TEST(OnnxImport, RecoversTheModules) {
  Imported mobile = import_bytes(file_bytes("onnx/mobile_opset13.onnx"));
  ASSERT_TRUE(mobile.model) << mobile.diagnostics;
  const std::string &m = mobile.model->net_text;
  EXPECT_NE(m.find("\nseq stem {\n  conv2d(8, 3, stride=2, padding=1)"), std::string::npos) << m;
  EXPECT_NE(m.find("\nseq features {\n  seq {"), std::string::npos) << m;
  EXPECT_EQ(mobile.model->weights.count("stem.0.weight"), 1u);

  Imported convnext = import_bytes(file_bytes("onnx/convnext_opset17.onnx"));
  ASSERT_TRUE(convnext.model) << convnext.diagnostics;
  const std::string &c = convnext.model->net_text;
  EXPECT_NE(c.find("seq block {"), std::string::npos) << c;
  EXPECT_EQ(convnext.model->weights.count("features.1.0.block.3.weight"), 1u);
  EXPECT_EQ(convnext.model->weights.count("features.1.0.layer_scale"), 1u);
}

// A file that is not ONNX, or is cut short, is one diagnostic, never a crash.
TEST(OnnxImport, BrokenFilesAreDiagnosed) {
  const std::string good = file_bytes("onnx/residual_opset13.onnx");
  ASSERT_GT(good.size(), 1000u);
  for (const std::string &bytes : {std::string("not an onnx model"), good.substr(0, good.size() / 2), std::string()}) {
    Imported imported = import_bytes(bytes);
    EXPECT_FALSE(imported.model);
    EXPECT_GE(imported.errors, 1u);
    EXPECT_NE(imported.diagnostics.find("model.onnx: error:"), std::string::npos) << imported.diagnostics;
  }
}

// Every node that cannot be mapped is reported, each with its name and why; nothing is returned.
TEST(OnnxImport, ReportsEveryNodeItCannotMap) {
  // The residual export with its two Relu nodes after the stem and the join renamed to an
  // operator cnngen has no layer for (Elu) and its max pooling given pads larger at the end
  // than at the start with ceil_mode (which a padding layer before it cannot say).
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(file_bytes("onnx/residual_opset13.onnx")));
  int changed = 0;
  for (auto &node : *model.mutable_graph()->mutable_node()) {
    if (node.op_type() == "Relu" && (node.name() == "/Relu" || node.name() == "/layer1/Relu_1")) {
      node.set_op_type("Elu");
      ++changed;
    }
    if (node.op_type() == "MaxPool" && node.name() == "/maxpool/MaxPool") {
      for (auto &attribute : *node.mutable_attribute()) {
        if (attribute.name() == "pads") {
          attribute.clear_ints();
          for (int p : {0, 0, 1, 1}) attribute.add_ints(p);
        }
        if (attribute.name() == "ceil_mode") attribute.set_i(1);
      }
      ++changed;
    }
  }
  ASSERT_EQ(changed, 3);
  Imported imported = import_bytes(model.SerializeAsString());
  EXPECT_FALSE(imported.model);
  EXPECT_EQ(imported.errors, 3u) << imported.diagnostics;
  EXPECT_NE(imported.diagnostics.find("Elu '/Relu': cnngen has no layer for ONNX's Elu operator"), std::string::npos)
      << imported.diagnostics;
  EXPECT_NE(imported.diagnostics.find("Elu '/layer1/Relu_1'"), std::string::npos) << imported.diagnostics;
  EXPECT_NE(imported.diagnostics.find("MaxPool '/maxpool/MaxPool': it pads one side more than the other with ceil_mode"),
            std::string::npos)
      << imported.diagnostics;
}

// A graph output that nothing computes is a diagnostic before ONNX's version converter sees it (it
// dereferences the missing value: a crash fuzz_onnx found, from opset 11's mobile fixture).
TEST(OnnxImport, AnOutputNothingComputesIsDiagnosed) {
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(file_bytes("onnx/mobile_opset11.onnx")));
  model.mutable_graph()->mutable_output(0)->set_name("tutput");
  Imported imported = import_bytes(model.SerializeAsString());
  EXPECT_FALSE(imported.model);
  EXPECT_NE(imported.diagnostics.find("the graph's output 'tutput' is computed by no node"), std::string::npos)
      << imported.diagnostics;
}

// A stride of zero or less is a diagnostic before ONNX's shape inference sees it: that divides by
// the strides unchecked, a division fault inside libonnx (fuzz_onnx found it from opset 11's
// mobile fixture, before the version converter; opset 13 reaches the same code later).
TEST(OnnxImport, NonPositiveStridesAreDiagnosed) {
  for (const char *fixture : {"onnx/mobile_opset11.onnx", "onnx/residual_opset13.onnx"}) {
    for (std::int64_t stride : {0, -1}) {
      onnx::ModelProto model;
      ASSERT_TRUE(model.ParseFromString(file_bytes(fixture)));
      std::string name;
      for (auto &node : *model.mutable_graph()->mutable_node()) {
        if (node.op_type() != "Conv" || !name.empty()) continue;
        name = node.name();
        for (auto &attribute : *node.mutable_attribute()) {
          if (attribute.name() == "strides") attribute.set_ints(1, stride);
        }
      }
      ASSERT_FALSE(name.empty()) << fixture;
      Imported imported = import_bytes(model.SerializeAsString());
      EXPECT_FALSE(imported.model);
      EXPECT_EQ(imported.errors, 1u) << imported.diagnostics;
      EXPECT_NE(imported.diagnostics.find("Conv '" + name + "': its strides must be positive, and one is " +
                                          std::to_string(stride)),
                std::string::npos)
          << fixture << "\n" << imported.diagnostics;
    }
  }
}

// A graph that is not a nesting of chains and joins names the value at fault.
TEST(OnnxImport, RefusesGraphsTheLanguageCannotWrite) {
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(file_bytes("onnx/residual_opset13.onnx")));
  // The residual's add reads the stem's output instead of its downsample: the stem's output is
  // then read from inside the branches and again at their join.
  std::string stem, downsample;
  for (const auto &node : model.graph().node()) {
    if (node.name() == "/maxpool/MaxPool") stem = node.output(0);
    if (node.name() == "/layer1/downsample/downsample.0/Conv") downsample = node.output(0);
  }
  ASSERT_FALSE(stem.empty());
  ASSERT_FALSE(downsample.empty());
  for (auto &node : *model.mutable_graph()->mutable_node()) {
    if (node.name() != "/inception/b1/Conv") continue;
    node.set_input(0, downsample);  // the downsample's output read far downstream as well
  }
  Imported imported = import_bytes(model.SerializeAsString());
  EXPECT_FALSE(imported.model);
  EXPECT_NE(imported.diagnostics.find("is not a nesting of chains and joins"), std::string::npos)
      << imported.diagnostics;
}

// ONNX's HardSigmoid with its own alpha and beta (here 0.2 and 0.6; Keras' are 0.2 and 0.5) is
// PyTorch's hardsigmoid of a per-channel affine map: max(0, min(1, αx + β)) at every element.
TEST(OnnxImport, HardSigmoidWithItsOwnAlphaAndBeta) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto &graph = *model.mutable_graph();
  graph.set_name("hard_sigmoid");
  auto declare = [](onnx::ValueInfoProto &value, const char *name) {
    value.set_name(name);
    auto *tensor = value.mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(onnx::TensorProto::FLOAT);
    auto *shape = tensor->mutable_shape();
    shape->add_dim()->set_dim_param("n");
    for (int d : {3, 4, 5}) shape->add_dim()->set_dim_value(d);
  };
  declare(*graph.add_input(), "x");
  declare(*graph.add_output(), "y");
  onnx::NodeProto &node = *graph.add_node();
  node.set_op_type("HardSigmoid");
  node.set_name("gate");
  node.add_input("x");
  node.add_output("y");
  for (auto [name, value] : {std::pair{"alpha", 0.2f}, std::pair{"beta", 0.6f}}) {
    auto *attribute = node.add_attribute();
    attribute->set_name(name);
    attribute->set_type(onnx::AttributeProto::FLOAT);
    attribute->set_f(value);
  }
  Imported imported = import_bytes(model.SerializeAsString());
  ASSERT_TRUE(imported.model) << imported.diagnostics;
  EXPECT_NE(imported.model->net_text.find("hardsigmoid"), std::string::npos) << imported.model->net_text;
  std::vector<float> input(2 * 3 * 4 * 5);
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = -6.0f + 12.0f * static_cast<float>(i) / (input.size() - 1);
  std::optional<std::vector<float>> out = testing::run_imported(*imported.model, input, 2);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->size(), input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    const float want = std::max(0.0f, std::min(1.0f, 0.2f * input[i] + 0.6f));
    EXPECT_NEAR((*out)[i], want, 1e-6f) << "x = " << input[i];
  }
}

TEST(OnnxImport, ModelNamesAreIdentifiers) {
  EXPECT_EQ(model_name_of("/x/resnet18.onnx"), "resnet18");
  EXPECT_EQ(model_name_of("my-model.v2.onnx"), "my_model");
  EXPECT_EQ(model_name_of("3net.onnx"), "model_3net");
}

}  // namespace
}  // namespace cnngen
