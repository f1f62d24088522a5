// The cnngen command line as a user runs it: outputs, exit codes, and no partial or stale files
// where -o points when anything fails.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int status;
  std::string output;  // stdout and stderr together
};

/// Runs cnngen with `arguments` (shell words) from the tests directory.
CommandResult cnngen(const std::string &arguments) {
  std::string command = std::string(CNNGEN_EXE) + " " + arguments + " 2>&1";
  FILE *pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string read_text(const fs::path &path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("cnngen_cli_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string &name) const { return (dir_ / name).string(); }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto &entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

const std::string kLenet = "../examples/lenet/lenet.net";
const std::string kWeights = "../examples/lenet/lenet.safetensors";

// A successful compile writes exactly the library and its header, named after the model.
TEST_F(Cli, CompileWritesLibraryAndHeader) {
  CommandResult run = cnngen(kLenet + " --weights " + kWeights + " -o " + path("lenet.a"));
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(files(), (std::vector<std::string>{"lenet.a", "lenet.h"}));
  std::string header = read_text(path("lenet.h"));
  EXPECT_NE(header.find("int lenet(struct halide_buffer_t *_input_buffer, struct halide_buffer_t "
                        "*_lenet_output_buffer)"),
            std::string::npos)
      << header.substr(0, 2000);
  EXPECT_NE(header.find("input   float32 N×1×28×28"), std::string::npos);
  EXPECT_NE(header.find("The weights are embedded"), std::string::npos);
}

// --name renames the entry point; without --weights the header documents each weight argument.
TEST_F(Cli, WeightsBecomeDocumentedArguments) {
  CommandResult run = cnngen(kLenet + " --name classify -o " + path("classify.a"));
  ASSERT_EQ(run.status, 0) << run.output;
  std::string header = read_text(path("classify.h"));
  EXPECT_NE(header.find("int classify(struct halide_buffer_t *_input_buffer, struct "
                        "halide_buffer_t *_conv2d_0_weight_buffer"),
            std::string::npos);
  EXPECT_NE(header.find("conv2d_0_weight  state_dict['0.weight']  6×1×5×5"), std::string::npos);
  EXPECT_NE(header.find("linear_11_bias  state_dict['11.bias']  10"), std::string::npos);
}

// A model error exits with 1, prints a located diagnostic and removes earlier outputs.
TEST_F(Cli, ModelErrorLeavesNoStaleOutput) {
  std::ofstream(path("bad.net")) << "model bad\ninput 1x4x4\nconv2d(2, kernel=5)\n";
  std::ofstream(path("bad.a")) << "stale";
  std::ofstream(path("bad.h")) << "stale";
  CommandResult run = cnngen(path("bad.net") + " -o " + path("bad.a"));
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("bad.net:3:1: error: conv2d window is larger"), std::string::npos)
      << run.output;
  EXPECT_EQ(files(), (std::vector<std::string>{"bad.net"}));
}

// A weights error exits with 1 and writes nothing.
TEST_F(Cli, WeightsErrorExitsWithOne) {
  std::ofstream(path("junk.safetensors")) << "not a safetensors file";
  CommandResult run = cnngen(kLenet + " --weights " + path("junk.safetensors") + " -o " + path("lenet.a"));
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("junk.safetensors: error: not a safetensors file"), std::string::npos)
      << run.output;
  EXPECT_EQ(files(), (std::vector<std::string>{"junk.safetensors"}));
}

// An output directory that does not exist is the user's error (1), not an internal one.
TEST_F(Cli, UnwritableOutputExitsWithOne) {
  CommandResult run = cnngen(kLenet + " -o " + path("missing/dir/lenet.a"));
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find("cannot write"), std::string::npos) << run.output;
}

// A missing model file exits with 1 and says which file.
TEST_F(Cli, MissingModelExitsWithOne) {
  CommandResult run = cnngen(path("nowhere.net"));
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("nowhere.net: error: cannot read the model file"), std::string::npos)
      << run.output;
}

struct UsageCase {
  const char *arguments;
  const char *message;
};

class CliUsage : public ::testing::TestWithParam<UsageCase> {};

// A malformed command line exits with 2 and says what is wrong, before reading any file.
TEST_P(CliUsage, ExitsWithTwo) {
  CommandResult run = cnngen(GetParam().arguments);
  EXPECT_EQ(run.status, 2) << run.output;
  EXPECT_NE(run.output.find(GetParam().message), std::string::npos) << run.output;
}

INSTANTIATE_TEST_SUITE_P(
    BadCommandLines, CliUsage,
    ::testing::Values(UsageCase{"", "no model file given"},
                      UsageCase{"a.net --frobnicate", "unknown option '--frobnicate'"},
                      UsageCase{"a.net -o", "-o needs a value"},
                      UsageCase{"a.net -o lenet.so", "must name a static library ending in .a"},
                      UsageCase{"a.net --name 9lives", "is not a C identifier"},
                      UsageCase{"a.net b.net", "more than one model file"},
                      UsageCase{"a.net --target x86-99-nowhere", "is not a Halide target string"}));

// --help prints the usage and succeeds.
TEST(CliHelp, HelpSucceeds) {
  CommandResult run = cnngen("--help");
  EXPECT_EQ(run.status, 0);
  EXPECT_NE(run.output.find("usage: cnngen MODEL.net"), std::string::npos);
}

}  // namespace
