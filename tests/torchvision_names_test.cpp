// torchvision's state_dicts load into the examples of torchvision's models without renaming: a
// safetensors file with exactly the names, dtypes and shapes of torchvision 0.14's NAME()
// state_dict (num_batches_tracked as I64 included;
// the list is tests/golden/MODEL_state_dict.txt, written by tools/modern_cnns.py --fixture) and
// deterministic values is built here and checked by the front end, as `cnngen --weights` checks it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "deterministic_tensor.hpp"
#include "dsl/front_end.hpp"

namespace cnngen::testing {
namespace {

struct Entry {
  std::string name;
  std::string dtype;  // F32 or I64
  Shape shape;        // empty for a scalar
};

/// The fixture: `name dtype d0,d1,...` a line (`-` for a scalar's shape), `#` comments.
std::vector<Entry> read_fixture(const std::string &path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::vector<Entry> entries;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Entry entry;
    std::string shape;
    fields >> entry.name >> entry.dtype >> shape;
    if (shape != "-") {
      std::istringstream dims(shape);
      std::string dim;
      while (std::getline(dims, dim, ',')) entry.shape.push_back(std::stoll(dim));
    }
    entries.push_back(entry);
  }
  return entries;
}

std::int64_t count(const Shape &shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

/// What the F32 tensors of a test's file hold: deterministic_named_parameter's values, which the
/// test that loads the file compares; zeros, where a test only looks at the names (making
/// VGG-16-BN's 138 M values took about a third of each of its tests; the rest is writing and
/// reading its 553 MB file).
enum class Values { deterministic, zeros };

/// A safetensors file of the entries: F32 ones with `values`, I64 ones with the count PyTorch keeps.
std::string safetensors_bytes(const std::vector<Entry> &entries, Values f32_values) {
  std::string header = "{", body;
  for (const Entry &e : entries) {
    std::string data;
    if (e.dtype == "I64") {
      std::vector<std::int64_t> values(static_cast<std::size_t>(count(e.shape)), 7);
      data.assign(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(std::int64_t));
    } else if (f32_values == Values::zeros) {
      data.assign(static_cast<std::size_t>(count(e.shape)) * sizeof(float), '\0');
    } else {
      std::vector<float> values = deterministic_named_parameter({e.name, e.shape, ParameterRole::weight});
      data.assign(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(float));
    }
    std::string shape;
    for (std::size_t i = 0; i < e.shape.size(); ++i) shape += (i ? "," : "") + std::to_string(e.shape[i]);
    if (header.size() > 1) header += ",";
    header += "\"" + e.name + "\":{\"dtype\":\"" + e.dtype + "\",\"shape\":[" + shape +
              "],\"data_offsets\":[" + std::to_string(body.size()) + "," +
              std::to_string(body.size() + data.size()) + "]}";
    body += data;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string file(8, '\0');
  std::uint64_t size = header.size();
  for (int i = 0; i < 8; ++i) file[static_cast<std::size_t>(i)] = static_cast<char>((size >> (8 * i)) & 0xFF);
  return file + header + body;
}

struct Checked {
  CheckedModel model;
  std::vector<Diagnostic> diagnostics;
  std::string rendered;
};

Checked check(const std::string &net, const std::vector<Entry> &entries, const std::string &tag,
              Values f32_values = Values::zeros) {
  const std::string path = ::testing::TempDir() + "torchvision_names_" + tag + ".safetensors";
  {
    std::ofstream out(path, std::ios::binary);
    const std::string bytes = safetensors_bytes(entries, f32_values);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::string error;
  auto source = SourceFile::read(net, error);
  EXPECT_TRUE(source) << error;
  if (!source) return {};
  Diagnostics diagnostics(*source);
  Checked checked;
  checked.model = check_model(*source, path, diagnostics);
  checked.diagnostics = diagnostics.all();
  std::ostringstream rendered;
  diagnostics.render(rendered);
  checked.rendered = rendered.str();
  std::remove(path.c_str());
  return checked;
}

class TorchvisionNames : public ::testing::TestWithParam<const char *> {
 protected:
  std::string net() const { return std::string("../examples/") + GetParam() + "/" + GetParam() + ".net"; }
  std::vector<Entry> fixture() const { return read_fixture(std::string("golden/") + GetParam() + "_state_dict.txt"); }
};

/// The state_dict prefix of an auxiliary head that inference never runs (inception_v3's), whose
/// tensors are unused: warned about, nothing more.
std::string auxiliary_prefix(const std::string &model) { return model == "inception_v3" ? "AuxLogits." : ""; }

bool is_auxiliary(const std::string &name, const std::string &prefix) {
  return !prefix.empty() && name.compare(0, prefix.size(), prefix) == 0;
}

TEST_P(TorchvisionNames, StateDictLoadsWithoutRenaming) {
  const std::vector<Entry> entries = fixture();
  ASSERT_GT(entries.size(), 40u);
  Checked checked = check(net(), entries, GetParam(), Values::deterministic);
  // No error, and no unused tensor but an auxiliary head's, each a warning.
  const std::string auxiliary = auxiliary_prefix(GetParam());
  std::size_t auxiliary_entries = 0;
  for (const Entry &e : entries) auxiliary_entries += is_auxiliary(e.name, auxiliary);
  EXPECT_EQ(checked.diagnostics.size(), auxiliary_entries) << checked.rendered;
  for (const Diagnostic &d : checked.diagnostics) {
    EXPECT_EQ(d.severity, Severity::warning) << checked.rendered;
    EXPECT_NE(d.message.find("'" + auxiliary), std::string::npos) << d.message;
  }
  ASSERT_TRUE(checked.model.network) << checked.rendered;
  ASSERT_TRUE(checked.model.weights) << checked.rendered;

  // Every F32 entry is a parameter of the network, with its values; every I64 one is ignored.
  std::size_t parameters_seen = 0;
  for (const Node &node : checked.model.network->nodes) {
    for (const Parameter &p : parameters(node)) {
      ++parameters_seen;
      auto it = checked.model.weights->find(p.name);
      ASSERT_NE(it, checked.model.weights->end()) << p.name;
      EXPECT_EQ(it->second.shape, p.shape) << p.name;
      EXPECT_EQ(it->second.data, deterministic_named_parameter({p.name, p.shape, ParameterRole::weight}))
          << p.name;
    }
  }
  std::size_t f32 = 0, i64 = 0;
  for (const Entry &e : entries) {
    if (!is_auxiliary(e.name, auxiliary)) (e.dtype == "I64" ? i64 : f32) += 1;
  }
  EXPECT_EQ(parameters_seen, f32);
  // The fixture carries num_batches_tracked where the model has batch norms (squeezenet has none).
  const bool batch_norms = std::any_of(checked.model.network->nodes.begin(), checked.model.network->nodes.end(),
                                       [](const Node &n) { return std::holds_alternative<BatchNorm>(n.op); });
  EXPECT_EQ(i64 > 0, batch_norms);
}

TEST_P(TorchvisionNames, MissingTensorIsReported) {
  std::vector<Entry> entries = fixture();
  ASSERT_FALSE(entries.empty());
  // The first entry is the stem convolution's weight (conv1.weight, features.0.0.weight).
  const std::string removed = entries.front().name;
  entries.erase(entries.begin());
  Checked checked = check(net(), entries, std::string(GetParam()) + "_missing");
  EXPECT_FALSE(checked.model.weights);
  EXPECT_NE(checked.rendered.find(removed), std::string::npos) << checked.rendered;
}

TEST_P(TorchvisionNames, RenamedTensorIsReported) {
  std::vector<Entry> entries = fixture();
  // A block-internal name: one inside a nested module path.
  bool renamed = false;
  for (Entry &e : entries) {
    if (std::count(e.name.begin(), e.name.end(), '.') >= 2 && e.dtype == "F32" && e.shape.size() == 4 &&
        !is_auxiliary(e.name, auxiliary_prefix(GetParam()))) {
      e.name = "x" + e.name;
      renamed = true;
      break;
    }
  }
  ASSERT_TRUE(renamed);
  Checked checked = check(net(), entries, std::string(GetParam()) + "_renamed");
  EXPECT_FALSE(checked.model.weights) << checked.rendered;
}

INSTANTIATE_TEST_SUITE_P(Torchvision, TorchvisionNames,
                         ::testing::Values("resnet18", "mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0",
                                           "shufflenet_v2_x1_0", "resnet50", "wide_resnet50_2", "vgg16_bn",
                                           "squeezenet1_0", "inception_v3", "mnasnet1_0", "regnet_y_400mf",
                                           "efficientnet_v2_s", "convnext_tiny"));

}  // namespace
}  // namespace cnngen::testing
