// Inputs of absurd size or content get a diagnostic or a result in bounded time and memory, and
// the inputs that once crashed the fuzzers (tests/fuzz/regressions) stay fixed. CTest gives this
// suite a time limit, so a hang fails it.
#include "dsl/front_end.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace cnngen::testing {
namespace {

namespace fs = std::filesystem;

struct Checked {
  bool ok;
  std::size_t errors;
  std::string rendered;
};

Checked check_text(const std::string &text) {
  SourceFile source("hostile.net", text);
  Diagnostics diagnostics(source);
  CheckedModel checked = check_model(source, "", diagnostics);
  std::ostringstream out;
  diagnostics.render(out);
  render_json(diagnostics, out);
  return {checked.network.has_value() && !diagnostics.has_errors(), diagnostics.error_count(),
          out.str()};
}

std::size_t longest_line(const std::string &text) {
  std::size_t longest = 0, current = 0;
  for (char c : text) {
    current = c == '\n' ? 0 : current + 1;
    longest = std::max(longest, current);
  }
  return longest;
}

// A comment of a million characters is just a comment.
TEST(HostileInput, MillionCharacterComment) {
  EXPECT_TRUE(check_text("model m\ninput 4\n# " + std::string(1000000, 'x') + "\nrelu\n").ok);
}

// A million-character layer name is reported with the quoted line cut to a readable width.
TEST(HostileInput, MillionCharacterLineIsQuotedShort) {
  Checked c = check_text("model m\ninput 4\n" + std::string(1000000, 'q') + "(1)\n");
  EXPECT_FALSE(c.ok);
  std::string text = c.rendered.substr(0, c.rendered.find("{\"diagnostics\""));
  EXPECT_NE(text.find("unknown layer"), std::string::npos);
  EXPECT_LT(longest_line(text), 400u) << text.substr(0, 1000);
}

// 100,000 layers: one error, at the first layer past the limit.
TEST(HostileInput, HundredThousandLayers) {
  std::string text = "model m\ninput 4\n";
  for (int i = 0; i < 100000; ++i) text += "relu\n";
  Checked c = check_text(text);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.errors, 1u);
  EXPECT_NE(c.rendered.find("hostile.net:10003:1: error: more than 10000 layers"), std::string::npos);
}

// 100,000 unknown arguments on one line: counted, but only a bounded number kept and shown.
TEST(HostileInput, HundredThousandBadArguments) {
  std::string text = "model m\ninput 4\nrelu(";
  for (int i = 0; i < 100000; ++i) text += "bogus=1, ";
  Checked c = check_text(text + "x=1)\n");
  EXPECT_FALSE(c.ok);
  EXPECT_LE(c.rendered.size(), 100000u);
  EXPECT_NE(c.rendered.find("note: stopped after 20 errors"), std::string::npos);
}

// A model file over the size limit is refused before it is read.
TEST(HostileInput, OversizedModelFile) {
  fs::path path = fs::path(::testing::TempDir()) / "huge.net";
  {
    std::ofstream out(path, std::ios::binary);
    std::string chunk(1 << 20, '#');
    for (std::size_t i = 0; i <= SourceFile::kMaxBytes >> 20; ++i) out << chunk;
  }
  std::string error;
  EXPECT_FALSE(SourceFile::read(path.string(), error));
  EXPECT_NE(error.find("model files are at most 16777216 bytes"), std::string::npos) << error;
  fs::remove(path);
}

// Bytes that are not text (NUL, invalid UTF-8, lone carriage returns) give a syntax error.
TEST(HostileInput, BinaryGarbage) {
  std::string garbage = "model m\ninput 4\n";
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 7919) % 256);
  Checked c = check_text(garbage);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.rendered.find("error: expected"), std::string::npos);
}

class FuzzRegression : public ::testing::TestWithParam<std::string> {};

// An input that once crashed a fuzzer is now checked without crashing and gives a diagnostic.
TEST_P(FuzzRegression, IsCheckedCleanly) {
  std::ifstream in(GetParam(), std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  Checked c = check_text(text.str());
  EXPECT_FALSE(c.rendered.empty());
}

std::vector<std::string> regressions() {
  std::vector<std::string> paths;
  for (const auto &entry : fs::directory_iterator("fuzz/regressions")) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  return paths;
}

INSTANTIATE_TEST_SUITE_P(Fuzz, FuzzRegression, ::testing::ValuesIn(regressions()),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                           std::string name = fs::path(info.param).stem();
                           for (char &ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace cnngen::testing
