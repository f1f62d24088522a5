// Data-driven diagnostics tests: each tests/diagnostics/NAME.net is checked by the front end and its
// rendered diagnostics must equal NAME.expected beside it, byte for byte. A line
// `# weights: PATH` in the .net also checks that weights file (PATH relative to tests/); a line
// `# flags: -WNAME -Wno-NAME -Werror` applies those warning switches.
// Set CNNGEN_UPDATE_EXPECTED=1 to rewrite the .expected files from the current output (then review
// the diff: the files are the specification).
#include "dsl/front_end.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace cnngen::testing {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> cases() {
  std::vector<std::string> names;
  for (const auto &entry : fs::directory_iterator("diagnostics")) {
    if (entry.path().extension() == ".net") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string directive(const std::string &text, const std::string &marker) {
  std::size_t at = text.find(marker);
  if (at == std::string::npos) return "";
  std::size_t start = at + marker.size();
  return text.substr(start, text.find('\n', start) - start);
}

std::string weights_directive(const std::string &text) { return directive(text, "# weights: "); }

/// The warning switches of a `# flags:` line.
WarningOptions flags_directive(const std::string &text) {
  WarningOptions options;
  std::istringstream words(directive(text, "# flags: "));
  for (std::string word; words >> word;) {
    EXPECT_EQ(word.rfind("-W", 0), 0u) << word;
    EXPECT_EQ(apply_warning_switch(word.substr(2), options), "") << word;
  }
  return options;
}

class Diagnostics : public ::testing::TestWithParam<std::string> {};

TEST_P(Diagnostics, MatchExpectedOutput) {
  fs::path net = fs::path("diagnostics") / (GetParam() + ".net");
  fs::path expected_path = fs::path("diagnostics") / (GetParam() + ".expected");
  SourceFile source(net.string(), read_text(net));
  cnngen::Diagnostics diagnostics(source, flags_directive(source.text()));
  check_model(source, weights_directive(source.text()), diagnostics);
  std::ostringstream rendered;
  diagnostics.render(rendered);
  if (std::getenv("CNNGEN_UPDATE_EXPECTED")) {
    std::ofstream(expected_path, std::ios::binary) << rendered.str();
  }
  ASSERT_TRUE(fs::exists(expected_path)) << expected_path << " is missing";
  EXPECT_FALSE(rendered.str().empty()) << "every case must produce a diagnostic";
  EXPECT_EQ(rendered.str(), read_text(expected_path));
}

INSTANTIATE_TEST_SUITE_P(Catalogue, Diagnostics, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<std::string> &info) { return info.param; });

}  // namespace
}  // namespace cnngen::testing
