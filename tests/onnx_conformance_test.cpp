// ONNX's own backend tests (Debian's libonnx-testdata) through `cnngen import`: every test of
// ONNX's node, pytorch-converted, pytorch-operator and simple suites whose graph holds an operator
// the importer maps. The graph inputs other than the first become weights (initializers), the
// outputs other than the first are dropped (only output_0 is compared); the import is compiled (JIT, cnngen's CPU schedule) and compared with output_0.pb within
// allclose(rtol=1e-4, atol=1e-6), tighter than ONNX's own 1e-3 and 1e-7 in the relative part.
//
// tests/onnx/conformance.txt records each test's outcome: `pass`, or `refused: ` and the
// importer's first diagnostic (the model uses what the language cannot say: a 3-D tensor, a
// constant operand, asymmetric padding...). Each test checks that outcome, so a refusal that
// starts or stops, or a message that changes, fails until the file is updated on purpose:
// CNNGEN_UPDATE_EXPECTED=1 rewrites it (then review the diff).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "onnx/map_nodes.hpp"
#include "onnx/onnx_graph.hpp"
#include "onnx_run.hpp"

namespace cnngen {
namespace {

namespace fs = std::filesystem;

const char *kSuites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};
const std::string kExpectedFile = std::string(CNNGEN_TESTS_DIR) + "/onnx/conformance.txt";

std::string read_bytes(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

onnx::TensorProto read_tensor_file(const fs::path &path) {
  onnx::TensorProto tensor;
  const std::string bytes = read_bytes(path);
  if (!tensor.ParseFromString(bytes)) ADD_FAILURE() << "cannot parse " << path;
  return tensor;
}

/// Every test (suite/name) whose model holds an operator the importer maps.
std::vector<std::string> mapped_cases() {
  const std::set<std::string> mapped(onnx_import::mapped_operators().begin(), onnx_import::mapped_operators().end());
  std::vector<std::string> cases;
  for (const char *suite : kSuites) {
    const fs::path folder = fs::path(CNNGEN_ONNX_TESTDATA) / suite;
    if (!fs::is_directory(folder)) continue;
    for (const auto &entry : fs::directory_iterator(folder)) {
      const fs::path model = entry.path() / "model.onnx";
      if (!fs::exists(model) || !fs::exists(entry.path() / "test_data_set_0" / "output_0.pb")) continue;
      onnx::ModelProto proto;
      if (!proto.ParseFromString(read_bytes(model))) continue;
      bool maps = false;
      for (const auto &node : proto.graph().node()) maps |= mapped.count(node.op_type()) > 0;
      if (maps) cases.push_back(std::string(suite) + "/" + entry.path().filename().string());
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

/// The recorded outcomes: case → "pass" or "refused: …".
std::map<std::string, std::string> expected_outcomes() {
  std::map<std::string, std::string> outcomes;
  std::ifstream in(kExpectedFile);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.find(' ');
    if (space != std::string::npos) outcomes[line.substr(0, space)] = line.substr(space + 1);
  }
  return outcomes;
}

/// Imports case `name` with its graph inputs after the first as initializers; "pass" after the
/// numbers match, "refused: MESSAGE", or a failure recorded with ADD_FAILURE (then "failed").
std::string run_case(const std::string &name) {
  const fs::path folder = fs::path(CNNGEN_ONNX_TESTDATA) / name;
  onnx::ModelProto model;
  if (!model.ParseFromString(read_bytes(folder / "model.onnx"))) return "failed";
  onnx::GraphProto &graph = *model.mutable_graph();
  std::set<std::string> initialized;
  for (const auto &init : graph.initializer()) initialized.insert(init.name());
  int data_inputs = 0;
  for (const auto &input : graph.input()) {
    if (initialized.count(input.name())) continue;
    const fs::path file = folder / "test_data_set_0" / ("input_" + std::to_string(data_inputs) + ".pb");
    if (data_inputs++ == 0) continue;
    onnx::TensorProto tensor = read_tensor_file(file);
    tensor.set_name(input.name());
    *graph.add_initializer() = tensor;
  }
  // Only output_0 is compared: the outputs after it (a split's other parts, a layer norm's mean
  // and inverse deviation, a max pool's indices) are left out of the graph, unread.
  while (graph.output_size() > 1) graph.mutable_output()->RemoveLast();
  SourceFile none(name, "");
  Diagnostics diagnostics(none);
  std::optional<ImportedModel> imported =
      import_onnx(model.SerializeAsString(), name + "/model.onnx", "conformance", diagnostics);
  if (!imported) {
    EXPECT_TRUE(diagnostics.has_errors()) << "refused without a diagnostic";
    return diagnostics.all().empty() ? "refused: (none)" : "refused: " + diagnostics.all().front().message;
  }
  std::string why;
  std::optional<onnx_import::Constant> input =
      onnx_import::read_tensor(read_tensor_file(folder / "test_data_set_0" / "input_0.pb"), why);
  std::optional<onnx_import::Constant> expected =
      onnx_import::read_tensor(read_tensor_file(folder / "test_data_set_0" / "output_0.pb"), why);
  if (!input || !expected || input->integer || expected->integer) {
    ADD_FAILURE() << "unreadable test data: " << why;
    return "failed";
  }
  std::optional<std::vector<float>> out =
      testing::run_imported(*imported, input->floats, static_cast<int>(input->dims.at(0)));
  if (!out || out->size() != expected->floats.size()) {
    ADD_FAILURE() << "the imported network's output does not have the test data's size";
    return "failed";
  }
  int mismatches = 0;
  for (std::size_t i = 0; i < expected->floats.size(); ++i) {
    const double want = expected->floats[i], got = (*out)[i];
    const bool same = std::isnan(want) ? std::isnan(got) : std::abs(got - want) <= 1e-6 + 1e-4 * std::abs(want);
    if (!same && ++mismatches <= 5) ADD_FAILURE() << "element " << i << ": cnngen " << got << ", ONNX " << want;
  }
  if (mismatches) {
    ADD_FAILURE() << mismatches << " of " << expected->floats.size() << " differ\n" << imported->net_text;
    return "failed";
  }
  return "pass";
}

class OnnxConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxConformance, AsRecorded) {
  const std::map<std::string, std::string> expected = expected_outcomes();
  const std::string outcome = run_case(GetParam());
  auto found = expected.find(GetParam());
  ASSERT_NE(found, expected.end()) << GetParam() << " is not in " << kExpectedFile << "; it gave: " << outcome;
  EXPECT_EQ(outcome, found->second);
}

std::string case_name(const ::testing::TestParamInfo<std::string> &info) {
  std::string name = info.param;
  for (char &c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

/// The recorded tests (ListsEveryTestOfAMappedOperator checks that they are the mapped ones): a
/// test process reads this small file, not all of ONNX's test models, to list its cases.
std::vector<std::string> recorded_cases() {
  std::vector<std::string> cases;
  for (const auto &[name, outcome] : expected_outcomes()) cases.push_back(name);
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Onnx, OnnxConformance, ::testing::ValuesIn(recorded_cases()), case_name);

// The record lists exactly the tests that hold a mapped operator (a newly mapped operator's tests
// must be recorded), and the test data is there at all: CI installs libonnx-testdata.
TEST(OnnxConformanceRecord, ListsEveryTestOfAMappedOperator) {
  const std::vector<std::string> cases = mapped_cases();
  ASSERT_GT(cases.size(), 200u) << "ONNX's backend test data is missing from " << CNNGEN_ONNX_TESTDATA
                                << " (Debian's libonnx-testdata)";
  std::map<std::string, std::string> expected = expected_outcomes();
  if (std::getenv("CNNGEN_UPDATE_EXPECTED")) {
    std::ofstream out(kExpectedFile);  // closed before it is read again below
    out << "# ONNX's backend tests that hold an operator cnngen's importer maps, and what cnngen does\n"
           "# with each (tests/onnx_conformance_test.cpp; CNNGEN_UPDATE_EXPECTED=1 rewrites this file).\n";
    for (const std::string &c : cases) out << c << " " << run_case(c) << "\n";
    out.close();
    expected = expected_outcomes();
  }
  std::size_t passed = 0;
  for (const std::string &c : cases) {
    EXPECT_TRUE(expected.count(c)) << c << " is not recorded";
    passed += expected.count(c) && expected[c] == "pass";
  }
  EXPECT_EQ(expected.size(), cases.size()) << "the record lists tests that hold no mapped operator";
  EXPECT_GT(passed, 0u);
}

}  // namespace
}  // namespace cnngen
