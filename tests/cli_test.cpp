// The cnngen command line as a user runs it: outputs, exit codes, and no partial or stale files
// where -o points when anything fails.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "scratch_directory.hpp"

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

class Cli : public ScratchDirectory {
 protected:
  Cli() : ScratchDirectory("cnngen_cli_") {}

  std::string path(const std::string &name) const { return (dir_ / name).string(); }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto &entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
};

const std::string kLenet = "../examples/lenet/lenet.net";
const std::string kWeights = "../examples/lenet/lenet.safetensors";

// A successful compile writes exactly the library and its C and C++ headers.
TEST_F(Cli, CompileWritesLibraryAndHeader) {
  CommandResult run = cnngen(kLenet + " --weights " + kWeights + " -o " + path("lenet.a"));
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(files(), (std::vector<std::string>{"lenet.a", "lenet.h", "lenet.hpp"}));
  std::string header = read_text(path("lenet.h"));
  EXPECT_NE(header.find("int lenet(struct halide_buffer_t *_input_buffer, struct halide_buffer_t "
                        "*_lenet_output_buffer)"),
            std::string::npos)
      << header.substr(0, 2000);
  EXPECT_NE(header.find("input   float32 N×1×28×28"), std::string::npos);
  EXPECT_NE(header.find("The weights are embedded"), std::string::npos);
}

// `cnngen import` writes exactly the .net and its weights, which then check as any .net does;
// the weights' default name follows the .net's.
TEST_F(Cli, ImportWritesANetAndItsWeights) {
  CommandResult run = cnngen("import onnx/residual_opset13.onnx -o " + path("residual.net"));
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(files(), (std::vector<std::string>{"residual.net", "residual.safetensors"}));
  EXPECT_NE(read_text(path("residual.net")).find("model residual_opset13"), std::string::npos);
  run = cnngen("check " + path("residual.net") + " --weights " + path("residual.safetensors"));
  ASSERT_EQ(run.status, 0) << run.output;  // onnx_import_test compiles and runs the same import
  run = cnngen("import onnx/mobile_opset17.onnx -o " + path("m.net") + " --weights-out " + path("w.safetensors"));
  ASSERT_EQ(run.status, 0) << run.output;
  run = cnngen("check " + path("m.net") + " --weights " + path("w.safetensors"));
  EXPECT_EQ(run.status, 0) << run.output;
  // Every command takes the .onnx itself, imported in memory.
  run = cnngen("summary onnx/dense_opset17.onnx");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("block.layers.2.2"), std::string::npos) << run.output;
}

// A file that cannot be imported is a diagnostic and exit 1, and nothing is written; a bad
// command line is exit 2.
TEST_F(Cli, ImportFailureWritesNothing) {
  {
    std::ofstream bad(path("bad.onnx"));
    bad << "not a protobuf";
  }
  CommandResult run = cnngen("import " + path("bad.onnx") + " -o " + path("bad.net"));
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find("bad.onnx: error: the file is not an ONNX model"), std::string::npos) << run.output;
  EXPECT_EQ(files(), (std::vector<std::string>{"bad.onnx"}));
  run = cnngen("import " + path("missing.onnx"));
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_EQ(cnngen("import onnx/residual_opset13.onnx -o " + path("x.a")).status, 2);
  EXPECT_EQ(cnngen("import onnx/residual_opset13.onnx --weights w.safetensors").status, 2);
  EXPECT_EQ(cnngen(kLenet + " --weights-out w.safetensors").status, 2);
}

// A comma-separated target list makes one library with an entry point per target and a dispatcher.
TEST_F(Cli, MultiTargetCompile) {
  CommandResult run = cnngen(kLenet + " --weights " + kWeights + " -o " + path("lenet.a") +
                             " --target x86-64-linux-avx2,x86-64-linux");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(files(), (std::vector<std::string>{"lenet.a", "lenet.h", "lenet.hpp"}));
  // Each with LLVM's loop vectorizer off (codegen/target_features.hpp).
  EXPECT_NE(read_text(path("lenet.h"))
                .find("for target x86-64-linux-avx2-disable_llvm_loop_opt,x86-64-linux-disable_llvm_loop_opt."),
            std::string::npos);
  std::string library = read_text(path("lenet.a"));
  EXPECT_NE(library.find("lenet-x86-64-linux-avx2-disable_llvm_loop_opt"), std::string::npos);
  EXPECT_NE(library.find("lenet-x86-64-linux-disable_llvm_loop_opt"), std::string::npos);
}

// A network cut into parts compiles them in child processes, -j at once: the library and headers
// are the same, byte for byte, however many run at once.
TEST_F(Cli, PartsCompiledAtOnceMakeTheSameLibrary) {
  const std::string net = "differential/blocks_parts_seed_777070";
  for (const char *jobs : {"1", "4"}) {
    CommandResult run = cnngen(net + ".net --weights " + net + ".safetensors --layers-per-part 1 -j " + jobs +
                               " -o " + path(std::string("j") + jobs + ".a") + " --timings");
    ASSERT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find(std::string("compiling 9 parts, ") + jobs + " at once: 9 done"), std::string::npos)
        << run.output;
  }
  EXPECT_EQ(read_text(path("j1.a")), read_text(path("j4.a")));
  auto without_guard = [](std::string header, const std::string &name) {
    for (std::size_t at; (at = header.find(name)) != std::string::npos;) header.erase(at, name.size());
    return header;
  };
  EXPECT_EQ(without_guard(read_text(path("j1.h")), "j1"), without_guard(read_text(path("j4.h")), "j4"));
  const std::vector<std::string> written{"j1.a", "j1.h", "j1.hpp", "j4.a", "j4.h", "j4.hpp"};
  EXPECT_EQ(files(), written);
}

// runtime writes the Halide runtime alone, for libraries built with no_runtime, and nothing else.
TEST_F(Cli, RuntimeWritesTheRuntimeAlone) {
  CommandResult run = cnngen("runtime -o " + path("runtime.a") + " --target x86-64-linux");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(files(), (std::vector<std::string>{"runtime.a"}));
  std::string library = read_text(path("runtime.a"));
  EXPECT_EQ(library.rfind("!<arch>\n", 0), 0u);
  EXPECT_NE(library.find("halide_malloc"), std::string::npos);
  EXPECT_EQ(cnngen("runtime -o " + path("missing/runtime.a")).status, 1);
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

// --schedule=adams2019 compiles with Halide's autoscheduler instead of cnngen's schedule.
TEST_F(Cli, AutoscheduledCompile) {
  // Halide's greedy search (beam 1): the path through cnngen is the same, in seconds rather than a
  // minute of the default beam's search.
  setenv("HL_BEAM_SIZE", "1", 1);
  CommandResult run = cnngen(kLenet + " --weights " + kWeights + " --schedule=adams2019 --batch 16 -o " +
                             path("lenet.a"));
  unsetenv("HL_BEAM_SIZE");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(files(), (std::vector<std::string>{"lenet.a", "lenet.h", "lenet.hpp"}));
}

// strict_float targets compile: the batch-vectorized copy is left out for them (issue 10: the
// max pooling below was an internal error, "computed at the following invalid location").
TEST_F(Cli, StrictFloatCompiles) {
  std::ofstream(path("pool.net")) << "model pool\ninput 6x3x5\nmaxpool2d((1, 2), stride=2, padding=(0, 1))\n";
  CommandResult run = cnngen(path("pool.net") + " -o " + path("pool.a") + " --target host-strict_float");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(files(), (std::vector<std::string>{"pool.a", "pool.h", "pool.hpp", "pool.net"}));
}

// A crash of cnngen itself ends as an internal error: exit code 3, the "please report" message, and
// neither outputs nor temporaries left behind. The crash is a SIGSEGV sent in the middle of
// compiling VGG-11 (which takes seconds), once its first temporary file exists.
TEST_F(Cli, CrashIsAnInternalError) {
  for (const char *stale : {"vgg.a", "vgg.h", "vgg.hpp"}) std::ofstream(path(stale)) << "stale";
  std::string log = (fs::path(::testing::TempDir()) / "cnngen_cli_crash.log").string();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    FILE *out = freopen(log.c_str(), "w", stderr);
    (void)out;
    execl(CNNGEN_EXE, CNNGEN_EXE, "../examples/vgg11/vgg11.net", "-o", path("vgg.a").c_str(), nullptr);
    _exit(127);
  }
  auto kill_child = [child] {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  };
  std::string temporary = path("vgg.a") + ".tmp" + std::to_string(child) + ".a";
  for (int i = 0; i < 600 && !fs::exists(temporary); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!fs::exists(temporary)) {
    kill_child();
    FAIL() << "cnngen never started writing " << temporary;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(child, SIGSEGV);
  // A bounded wait: a handler that deadlocks (as one did under AddressSanitizer, see
  // driver/crash_handler.cpp) fails here, with the reason, rather than at CTest's timeout.
  int status = 0;
  pid_t ended = 0;
  for (int i = 0; i < 1200 && (ended = waitpid(child, &status, WNOHANG)) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (ended == 0) {
    kill_child();
    FAIL() << "cnngen was still running 60 s after SIGSEGV: its crash handler hung";
  }
  ASSERT_TRUE(WIFEXITED(status)) << "cnngen died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 3);
  std::string message = read_text(log);
  EXPECT_NE(message.find("cnngen: internal error: a segmentation fault (SIGSEGV) while generating code "
                         "for 'vgg11'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("please report it"), std::string::npos) << message;
  EXPECT_TRUE(files().empty()) << "left behind: " << (files().empty() ? "" : files().front());
}

// A model error exits with 1, prints a located diagnostic and removes earlier outputs.
TEST_F(Cli, ModelErrorLeavesNoStaleOutput) {
  std::ofstream(path("bad.net")) << "model bad\ninput 1x4x4\nconv2d(2, kernel=5)\n";
  std::ofstream(path("bad.a")) << "stale";
  std::ofstream(path("bad.h")) << "stale";
  std::ofstream(path("bad.hpp")) << "stale";
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
  const char *name;
  const char *arguments;
  const char *message;
};

std::ostream &operator<<(std::ostream &out, const UsageCase &c) { return out << c.arguments; }

class CliUsage : public ::testing::TestWithParam<UsageCase> {};

// A malformed command line exits with 2 and says what is wrong, before reading any file.
TEST_P(CliUsage, ExitsWithTwo) {
  CommandResult run = cnngen(GetParam().arguments);
  EXPECT_EQ(run.status, 2) << run.output;
  EXPECT_NE(run.output.find(GetParam().message), std::string::npos) << run.output;
}

INSTANTIATE_TEST_SUITE_P(
    BadCommandLines, CliUsage,
    ::testing::Values(UsageCase{"NoModel", "", "no model file given"},
                      UsageCase{"UnknownOption", "a.net --frobnicate", "unknown option '--frobnicate'"},
                      UsageCase{"OptionWithoutValue", "a.net -o", "-o needs a value"},
                      UsageCase{"OutputNotAStaticLibrary", "a.net -o lenet.so", "must name a static library ending in .a"},
                      UsageCase{"NameNotAnIdentifier", "a.net --name 9lives", "is not a C identifier"},
                      UsageCase{"TwoModels", "a.net b.net", "more than one model file"},
                      UsageCase{"UnknownTarget", "a.net --target x86-99-nowhere", "is not a Halide target string"},
                      UsageCase{"UnknownTargetInList", "a.net --target x86-64-linux-avx2,x86-99", "'x86-99' is not a Halide target string"},
                      UsageCase{"MixedArchitectures", "a.net --target arm-64-linux,x86-64-linux", "must share OS, architecture and bits"},
                      UsageCase{"RuntimeWithModel", "runtime a.net", "runtime takes no model file"},
                      UsageCase{"RuntimeNotAStaticLibrary", "runtime -o rt.so", "must name a static library ending in .a"},
                      UsageCase{"BatchZero", "summary a.net --batch 0", "--batch needs a number from 1"},
                      UsageCase{"BatchNotANumber", "summary a.net --batch 3x", "--batch needs a number from 1"},
                      UsageCase{"LayersPerPartNegative", "a.net --layers-per-part -1",
                                "--layers-per-part needs a number from 0"},
                      UsageCase{"JobsZero", "a.net -j 0", "-j needs a number from 1 to 1024, not '0'"},
                      UsageCase{"UnknownSchedule", "a.net --schedule=fast", "--schedule takes manual, adams2019 or mullapudi2016"},
                      UsageCase{"UnknownConvAlgorithm", "a.net --conv=winograd6",
                                "--conv takes direct, winograd, winograd4 or auto, not 'winograd6'"},
                      UsageCase{"UnknownColorMode", "check a.net --color=sometimes", "--color takes auto, always or never"},
                      UsageCase{"UnknownDiagnosticsFormat", "check a.net --diagnostics-format=xml", "takes text or json"},
                      UsageCase{"UnknownWarning", "check a.net -Wunread-inputs",
                                "unknown warning option '-Wunread-inputs'; did you mean '-Wunread-input'?"},
                      UsageCase{"UnknownNoWarning", "check a.net -Wno-unused-tensors",
                                "unknown warning option '-Wno-unused-tensors'; did you mean '-Wno-unused-tensor'?"},
                      UsageCase{"UnknownWarningFarFromAny", "check a.net -Wall", "unknown warning option '-Wall'"},
                      UsageCase{"WeightsPrefixWithoutWeights", "check a.net --weights-prefix net.",
                                "--weights-prefix needs --weights"}),
    [](const ::testing::TestParamInfo<UsageCase> &info) { return std::string(info.param.name); });

// check runs the front end only: success prints nothing and writes nothing.
TEST_F(Cli, CheckWritesNothing) {
  CommandResult run = cnngen("check " + kLenet + " --weights " + kWeights);
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(run.output, "");
  EXPECT_TRUE(files().empty());
}

// check reports errors like compile does, with exit code 1.
TEST_F(Cli, CheckReportsErrors) {
  std::ofstream(path("bad.net")) << "model bad\ninput 1x4x4\nlinear(3)\n";
  CommandResult run = cnngen("check " + path("bad.net"));
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("bad.net:3:1: error: linear needs a flat input"), std::string::npos)
      << run.output;
}

// The JSON diagnostics carry severity, message, file, ranges, notes, help and the fix-it.
TEST_F(Cli, JsonDiagnostics) {
  std::ofstream(path("bad.net")) << "model bad\ninput 4\nlinear(3, in=5)\n";
  CommandResult run = cnngen("check --diagnostics-format=json " + path("bad.net"));
  EXPECT_EQ(run.status, 1);
  for (const char *expected :
       {"\"severity\": \"error\"", "\"message\": \"linear declares in=5, but its input has 4 features\"",
        "\"range\": {\"start\": {\"line\": 3, \"column\": 14, \"offset\": 31}",
        "\"notes\": [{\"message\": \"the model's input is 4\"",
        "\"fixit\": {\"range\": {\"start\": {\"line\": 3, \"column\": 14", "\"replacement\": \"4\"}",
        "\"errors\": 1, \"warnings\": 0}"}) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << run.output;
  }
}

// --color=always colours the severity; --color=never (and a pipe, with auto) does not.
TEST_F(Cli, ColorModes) {
  std::ofstream(path("bad.net")) << "model bad\ninput 4\nrelu(1)\n";
  EXPECT_NE(cnngen("check --color=always " + path("bad.net")).output.find("\033[1;31merror:"),
            std::string::npos);
  EXPECT_EQ(cnngen("check --color=never " + path("bad.net")).output.find("\033["), std::string::npos);
  EXPECT_EQ(cnngen("check " + path("bad.net")).output.find("\033["), std::string::npos);
}

// Two rows of 8 that a kernel-3, stride-3 convolution never reads: shown by default.
const char *kUnread = "model strided\ninput 1x8x8\nconv2d(2, kernel=(3, 5), padding=(0, 1), stride=(3, 4))\n";

// Every warning carries its name; -Wno-NAME silences it, and -WNAME after it turns it back on.
TEST_F(Cli, WarningNamesAndSwitches) {
  std::ofstream(path("strided.net")) << kUnread;
  CommandResult shown = cnngen("check " + path("strided.net"));
  EXPECT_EQ(shown.status, 0) << shown.output;
  EXPECT_NE(shown.output.find("strided.net:3:1: warning: conv2d leaves the last 2 rows of its input "
                              "unread: no window reaches them [-Wunread-input]\n"),
            std::string::npos)
      << shown.output;
  CommandResult silenced = cnngen("check -Wno-unread-input " + path("strided.net"));
  EXPECT_EQ(silenced.status, 0);
  EXPECT_EQ(silenced.output, "");
  EXPECT_EQ(cnngen("check -Wno-unread-input -Wunread-input " + path("strided.net")).output, shown.output);
  EXPECT_NE(cnngen("check --diagnostics-format=json " + path("strided.net")).output.find("\"flag\": \"unread-input\""),
            std::string::npos);
}

// -Werror makes a warning an error: exit 1, the flag shown as [-Werror,-W…], no output written
// (and earlier outputs removed); -Wno-error undoes it.
TEST_F(Cli, WerrorFailsAndWritesNothing) {
  std::ofstream(path("strided.net")) << kUnread;
  std::ofstream(path("strided.a")) << "stale";
  CommandResult run = cnngen(path("strided.net") + " -Werror -o " + path("strided.a"));
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find("strided.net:3:1: error: conv2d leaves the last 2 rows of its input "
                            "unread: no window reaches them [-Werror,-Wunread-input]\n"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("warning:"), std::string::npos) << run.output;
  EXPECT_EQ(files(), (std::vector<std::string>{"strided.net"}));
  EXPECT_EQ(cnngen("check -Werror -Wno-error " + path("strided.net")).status, 0);
  EXPECT_EQ(cnngen("check -Werror -Wno-unread-input " + path("strided.net")).status, 0);
}

// D2L's AlexNet (an 11/4 convolution and 3×3/2 poolings that leave one or two trailing rows) is
// quiet by default; -Wunread-input shows all four small remainders.
TEST_F(Cli, AlexnetCompilesWithoutWarnings) {
  const std::string alexnet = "../examples/alexnet/alexnet.net";
  CommandResult run = cnngen(alexnet + " -o " + path("alexnet.a"));
  EXPECT_EQ(run.status, 0) << run.output;
  // Nothing from cnngen; a sanitizer build's runtime may add lines of its own ("==PID==WARNING").
  std::string own;
  std::istringstream lines(run.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("==", 0) != 0) own += line + "\n";
  }
  EXPECT_EQ(own, "") << run.output;
  EXPECT_EQ(files(), (std::vector<std::string>{"alexnet.a", "alexnet.h", "alexnet.hpp"}));
  CommandResult all = cnngen("check -Wunread-input " + alexnet);
  EXPECT_EQ(all.status, 0) << all.output;
  std::size_t count = 0;
  for (std::size_t at = all.output.find("[-Wunread-input]"); at != std::string::npos;
       at = all.output.find("[-Wunread-input]", at + 1))
    ++count;
  EXPECT_EQ(count, 4u) << all.output;
}

/// A safetensors file of float32 zeros: each tensor's name and shape.
std::string zero_weights(const std::vector<std::pair<std::string, std::vector<int>>> &tensors) {
  std::string header = "{";
  std::size_t offset = 0;
  for (const auto &[name, shape] : tensors) {
    std::size_t count = 1;
    std::string dims;
    for (int d : shape) {
      count *= static_cast<std::size_t>(d);
      dims += (dims.empty() ? "" : ",") + std::to_string(d);
    }
    header += (header.size() > 1 ? "," : "") + std::string("\"") + name + "\":{\"dtype\":\"F32\",\"shape\":[" + dims +
              "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + 4 * count) + "]}";
    offset += 4 * count;
  }
  header += "}";
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>(header.size() >> (8 * i));
  return bytes + header + std::string(offset, '\0');
}

/// A safetensors file of zeros for linear fc(2) on 4 features, its names under `prefix`.
std::string prefixed_linear_weights(const std::string &prefix) {
  return zero_weights({{prefix + "fc.weight", {2, 4}}, {prefix + "fc.bias", {2}}});
}

// A file whose names carry DataParallel's `module.`: without --weights-prefix an error whose help
// names the option; with it, the check passes quietly.
TEST_F(Cli, WeightsPrefixStripsTheFilesNames) {
  std::ofstream(path("m.net")) << "model m\ninput 4\nlinear fc(2)\n";
  std::ofstream(path("w.safetensors"), std::ios::binary) << prefixed_linear_weights("module.");
  CommandResult without = cnngen("check " + path("m.net") + " --weights " + path("w.safetensors"));
  EXPECT_EQ(without.status, 1) << without.output;
  EXPECT_NE(without.output.find("help: the file names it 'module.fc.weight': pass --weights-prefix module.\n"),
            std::string::npos)
      << without.output;
  CommandResult with = cnngen("check " + path("m.net") + " --weights " + path("w.safetensors") +
                              " --weights-prefix module.");
  EXPECT_EQ(with.status, 0) << with.output;
  EXPECT_EQ(with.output, "");
}

// A --weights-prefix that no name in the file has is an error on the file, exit 1.
TEST_F(Cli, WeightsPrefixNoNameHas) {
  CommandResult run = cnngen("check " + kLenet + " --weights " + kWeights + " --weights-prefix module.");
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find("lenet.safetensors: error: --weights-prefix module. given, but no tensor "
                            "name in the file starts with it"),
            std::string::npos)
      << run.output;
}

// summary prints one row per layer with its costs, the totals and D2L's formulas.
TEST_F(Cli, SummaryOfLenet) {
  CommandResult run = cnngen("summary " + kLenet + " --batch 2");
  ASSERT_EQ(run.status, 0) << run.output;
  for (const char *expected :
       {"model lenet: input 1×28×28, batch 2", "conv2d      6×28×28         156  235,200",
        "parameters: 61,706", "multiply-accumulates: 416,520 per image, 833,040 for the batch",
        "conv2d (layer 0): height and width ⌊(28 + 2·2 − 1·(5−1) − 1)/1⌋ + 1 = 28"}) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << run.output;
  }
}

// dot draws every layer with the shapes on the edges, to stdout or to -o.
TEST_F(Cli, DotOfLenet) {
  CommandResult run = cnngen("dot " + kLenet);
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("input -> layer0 [label=\" 1×28×28\"]"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("layer11 -> output [label=\" 10\"]"), std::string::npos) << run.output;
  ASSERT_EQ(cnngen("dot " + kLenet + " -o " + path("lenet.dot")).status, 0);
  EXPECT_EQ(read_text(path("lenet.dot")), run.output);
}

// --version names cnngen's version and the Halide it was built with, and succeeds.
TEST(CliHelp, VersionNamesHalide) {
  CommandResult run = cnngen("--version");
  EXPECT_EQ(run.status, 0);
  EXPECT_EQ(run.output.rfind("cnngen 0.", 0), 0u) << run.output;
  EXPECT_NE(run.output.find("(Halide 14."), std::string::npos) << run.output;
}

// --help prints the usage and succeeds.
TEST(CliHelp, HelpSucceeds) {
  CommandResult run = cnngen("--help");
  EXPECT_EQ(run.status, 0);
  EXPECT_NE(run.output.find("usage: cnngen [compile] MODEL.net"), std::string::npos);
}

// A model with a definition instance inside a seq block, a residual add and a concat, for the tools
// that explain a graph: the numbers below are worked out by hand in the comments.
constexpr const char *kBlocksModel =
    "model tiny\n"
    "input 16x8x8\n"
    "def unit(c) {\n"
    "  add {\n"
    "    branch {\n"
    "      conv2d conv1(c * 2, 1)\n"  // line 6: 32×8×8, 16·32+32 = 544 parameters, 32·64·16 MACs
    "      conv2d conv2(c, 1)\n"      // line 7: 16×8×8, 32·16+16 = 528 parameters, 16·64·32 MACs
    "    }\n"
    "    branch {}\n"
    "  }\n"
    "  relu\n"
    "}\n"
    "seq layer1 {\n"
    "  unit(16)\n"
    "}\n"
    "concat {\n"
    "  branch { conv2d a(3, 1) }\n"                        // receptive field 1×1
    "  branch { maxpool2d(3, stride=1, padding=1) }\n"     // receptive field 3×3
    "}\n"
    "adaptiveavgpool2d(1)\n"
    "flatten\n"
    "linear fc(4)\n";

/// The line of `text` that starts with `prefix`, or "" if none does.
std::string line_starting(const std::string &text, const std::string &prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

// A 3×3 layer that Winograd computes (with embedded weights) and a stride-2 one that stays direct.
constexpr const char *kScheduleModel =
    "model sched\n"
    "input 64x28x28\n"
    "conv2d c(64, 3, padding=1)\n"
    "relu\n"
    "conv2d s(128, 3, stride=2, padding=1)\n"
    "relu\n";

/// The lines of the block that `schedule` prints for the layer whose heading starts with `heading`.
std::string schedule_block(const std::string &text, const std::string &heading) {
  const std::size_t begin = text.find("\n" + heading);
  if (begin == std::string::npos) return "";
  const std::size_t end = text.find("\n\n", begin + 1);
  return text.substr(begin + 1, end == std::string::npos ? std::string::npos : end - begin - 1);
}

// schedule reports, per layer, the algorithm and register tile the CPU schedule chose, what the
// threads share and each loop level's working set against its budget, worked out by hand below
// (AVX-512: 16-float vectors; a block of 64 output channels).
TEST_F(Cli, ScheduleOfWinogradAndStrideTwoLayers) {
  std::ofstream(path("m.net")) << kScheduleModel;
  std::ofstream(path("w.safetensors"), std::ios::binary)
      << zero_weights({{"c.weight", {64, 64, 3, 3}}, {"c.bias", {64}}, {"s.weight", {128, 64, 3, 3}}, {"s.bias", {128}}});
  CommandResult run = cnngen("schedule " + path("m.net") + " --weights " + path("w.safetensors") +
                             " --target x86-64-linux-avx512 -o " + path("schedule.txt"));
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(run.output, "");
  const std::string text = read_text(path("schedule.txt"));
  EXPECT_EQ(line_starting(text, "model "), "model sched, target x86-64-linux-avx512-disable_llvm_loop_opt (16-float vectors)");
  const std::string winograd = schedule_block(text, "conv2d 'c'");
  for (const char *expected : {
           "conv2d 'c' at " , ":3: 64×28×28 → 64×28×28\n",
           // 28×28 outputs in 7 × 7 tiles of 4×4; bands of ⌈28 / 7⌉ = 4 tile rows: 2 per image
           "  how    Winograd F(4×4, 3×3), register tile of 4 vectors × 7 tiles (28 sums), 7 × 7 tiles of 4×4 outputs\n",
           "  tasks  2 bands of 4 tile rows per image\n",
           // one product's weights 64 × 64 floats; V: 36 × 64 × 28 floats; all: 36 × 64 × 64 floats
           "  L2    16.0 KiB of 512.0 KiB  one product's transformed weights for the block",
           "  L2     252.0 KiB of 1.0 MiB  V of the band (36 products × 28 tiles × all input channels)",
           "  L3                576.0 KiB  all transformed weights, read once per band"}) {
    EXPECT_NE(winograd.find(expected), std::string::npos) << expected << "\n" << text;
  }
  const std::string direct = schedule_block(text, "conv2d 's'");
  for (const char *expected : {
           ":5: 64×28×28 → 128×14×14\n",
           // 64 channels are 4 cache lines a pixel: the padded copy stores 5 (padded_copy_channels)
           "  how    direct, register tile of 4 vectors × 3 columns × 2 rows (24 sums), input channels summed in "
           "slices of 4, padded input stored 80 channels a pixel (an odd number of cache lines), padded rows "
           "copied inside each task\n",
           "  tasks  7 bands of 2 rows per image, each through all 2 blocks of 64 output channels\n",
           // 4 × 9 × 64 floats; 64 × 14 × 2 floats; 5 padded rows × 30 × 80 floats (the copy's channels);
           // 64 × 9 × 128 floats
           "  L1      9.0 KiB of 16.0 KiB  a slice's weights (4 input channels × 9 taps × 64 outputs)",
           "  L1      7.0 KiB of 16.0 KiB  the partial sums of the block's 2 rows\n",
           "  L2    46.9 KiB of 512.0 KiB  the band's padded input rows, copied in its task, read by every block\n",
           "  L2   288.0 KiB of 512.0 KiB  all the weights, read once per band"}) {
    EXPECT_NE(direct.find(expected), std::string::npos) << expected << "\n" << text;
  }
  // Without embedded weights every convolution is direct, and the report says why.
  CommandResult unweighted = cnngen("schedule " + path("m.net") + " --target x86-64-linux-avx512");
  ASSERT_EQ(unweighted.status, 0) << unweighted.output;
  EXPECT_NE(unweighted.output.find("weights passed at run time: every convolution direct"), std::string::npos)
      << unweighted.output;
  EXPECT_EQ(unweighted.output.find("Winograd F("), std::string::npos) << unweighted.output;
  EXPECT_NE(schedule_block(unweighted.output, "conv2d 'c'").find("  how    direct, register tile of 4 vectors"),
            std::string::npos)
      << unweighted.output;
}

// AVX2 has 16 registers: tiles of 2 vectors (16 channels), and the narrower tiles change the blocking:
// the stride-2 layer sums its whole 14-row image per block of 16 channels in slices of 16 inputs.
TEST_F(Cli, ScheduleFollowsTheTarget) {
  std::ofstream(path("m.net")) << kScheduleModel;
  CommandResult run = cnngen("schedule " + path("m.net") + " --target x86-64-linux-avx2-fma");
  ASSERT_EQ(run.status, 0) << run.output;
  const std::string direct = schedule_block(run.output, "conv2d 's'");
  for (const char *expected : {
           "(8-float vectors)",
           "  how    direct, register tile of 2 vectors × 5 columns × 1 row (10 sums), input channels summed in "
           "slices of 16, padded input stored 80 channels a pixel (an odd number of cache lines), padded input "
           "copied whole first\n",
           "  tasks  8 blocks of 16 output channels × 1 band of 14 rows per image\n",
           // 16 × 9 × 16 floats; 16 × 14 × 14 floats
           "  L1      9.0 KiB of 16.0 KiB  a slice's weights (16 input channels × 9 taps × 16 outputs)",
           "  L1     12.2 KiB of 16.0 KiB  the partial sums of the block's 14 rows"}) {
    EXPECT_NE((std::string(expected)[0] == '(' ? run.output : direct).find(expected), std::string::npos)
        << expected << "\n" << run.output;
  }
}

// schedule describes cnngen's own CPU schedule: a GPU target or an autoscheduler is a usage error,
// and nothing is written to -o.
TEST_F(Cli, ScheduleOfWhatItDoesNotDescribe) {
  std::ofstream(path("m.net")) << kScheduleModel;
  CommandResult gpu = cnngen("schedule " + path("m.net") + " --target host-cuda -o " + path("s.txt"));
  EXPECT_EQ(gpu.status, 2) << gpu.output;
  EXPECT_NE(gpu.output.find("cnngen: error: schedule describes CPU targets only"), std::string::npos) << gpu.output;
  CommandResult autoscheduled = cnngen("schedule " + path("m.net") + " --schedule=adams2019 -o " + path("s.txt"));
  EXPECT_EQ(autoscheduled.status, 2) << autoscheduled.output;
  EXPECT_NE(autoscheduled.output.find("not --schedule=adams2019"), std::string::npos) << autoscheduled.output;
  EXPECT_EQ(files(), (std::vector<std::string>{"m.net"}));
}

// summary of a network with blocks: rows named by path, a subtotal row per module instance, the
// receptive field of a join the largest of its branches', and the peak working memory counting the
// input that the add keeps alive while its branch runs.
TEST_F(Cli, SummaryOfBlocks) {
  std::ofstream(path("tiny.net")) << kBlocksModel;
  CommandResult run = cnngen("summary " + path("tiny.net"));
  ASSERT_EQ(run.status, 0) << run.output;
  struct Row {
    const char *prefix;
    std::vector<const char *> cells;
  };
  for (const Row &row : {Row{"layer1.0.conv2 ", {"conv2d", "16×8×8", "528", "32,768"}},
                         Row{"layer1 ", {"= block", "16×8×8", "1,072", "65,536"}},
                         Row{"layer1.0.add0 ", {"add", "16×8×8", "1×1"}},
                         Row{"concat0 ", {"concat", "19×8×8", "3×3"}},
                         Row{"1 ", {"adaptiveavgpool2d", "19×1×1", "10×10"}},
                         Row{"total ", {"1,203", "68,684"}}}) {
    std::string line = line_starting(run.output, row.prefix);
    ASSERT_FALSE(line.empty()) << row.prefix << "\n" << run.output;
    for (const char *cell : row.cells) EXPECT_NE(line.find(cell), std::string::npos) << cell << " in\n" << line;
  }
  // layer1 holds nothing but the instance layer1.0: their totals are one row, named layer1.
  EXPECT_EQ(line_starting(run.output, "layer1.0 "), "") << run.output;
  // At conv2: the input (kept for the add, 4 KiB), conv1's output (8 KiB) and conv2's (4 KiB).
  EXPECT_NE(run.output.find("peak working memory: 16.0 KiB at batch 1 (at conv2d 'layer1.0.conv2': its input "
                            "and output and 1 tensor kept for a later layer)"),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("8 → 1 in windows of up to 8"), std::string::npos) << run.output;
}

// dot draws a cluster per module instance and an edge from every input of a join.
TEST_F(Cli, DotOfBlocks) {
  std::ofstream(path("tiny.net")) << kBlocksModel;
  CommandResult run = cnngen("dot " + path("tiny.net"));
  ASSERT_EQ(run.status, 0) << run.output;
  for (const char *expected :
       {"subgraph \"cluster_layer1\" {", "subgraph \"cluster_layer1.0\" {", "label=\"layer1.0\";",
        "layer1 -> layer2 [label=\" 16×8×8\"]", "input -> layer2 [label=\" 16×8×8\"]",
        "layer4 -> layer6 [label=\" 3×8×8\"]", "layer5 -> layer6 [label=\" 16×8×8\"]",
        "layer2 [label=\"+\", shape=circle"}) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << run.output;
  }
  // The add is inside its instance's cluster, the concat at the top level, outside every cluster.
  EXPECT_LT(run.output.find("subgraph \"cluster_layer1.0\""), run.output.find("layer2 [label"));
  EXPECT_LT(run.output.find("layer6 [label"), run.output.find("subgraph \"cluster_layer1\""));
}

// json writes the checked graph: paths, the generated code's symbols, operations with their
// arguments, the tensors each node reads, the state_dict parameters and the layer line's position;
// to -o as to standard output.
TEST_F(Cli, JsonOfBlocks) {
  std::ofstream(path("tiny.net")) << kBlocksModel;
  CommandResult run = cnngen("json " + path("tiny.net"));
  ASSERT_EQ(run.status, 0) << run.output;
  for (const char *expected :
       {"\"format\": \"cnngen-graph\", \"version\": 1", "\"model\": \"tiny\"", "\"input\": 0, \"output\": 10",
        "{\"id\": 7, \"shape\": [19, 8, 8], \"producer\": 6}",
        "\"path\": \"layer1.0.conv2\", \"scope\": \"layer1.0\", \"name\": \"conv2\", \"kind\": \"conv2d\", "
        "\"symbol\": \"layer1_0_conv2\"",
        "\"arguments\": {\"in_channels\": 32, \"out_channels\": 16, \"kernel\": [1, 1], \"stride\": [1, 1], "
        "\"padding\": [0, 0], \"dilation\": [1, 1], \"groups\": 1, \"bias\": true}",
        "{\"name\": \"layer1.0.conv2.weight\", \"shape\": [16, 32, 1, 1], \"role\": \"weight\"}",
        "\"source\": {\"start\": {\"line\": 7, \"column\": 7}",
        "\"path\": \"layer1.0.add0\", \"scope\": \"layer1.0\", \"name\": null, \"kind\": \"add\", "
        "\"symbol\": \"add_layer1_0_add0\", \"op\": \"add\"",
        "\"inputs\": [2, 0], \"output\": 3", "\"inputs\": [5, 6], \"output\": 7",
        "\"arguments\": {\"pool\": \"max\", \"kernel\": [3, 3], \"stride\": [1, 1], \"padding\": [1, 1], "
        "\"ceil_mode\": false, \"dilation\": [1, 1], \"count_include_pad\": true}",
        "\"op\": \"adaptive_pool2d\",\n   \"arguments\": {\"pool\": \"average\", \"output\": [1, 1]}"}) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << run.output;
  }
  ASSERT_EQ(cnngen("json " + path("tiny.net") + " -o " + path("tiny.json")).status, 0);
  EXPECT_EQ(read_text(path("tiny.json")), run.output);
  std::ofstream(path("bad.net")) << "model bad\ninput 4\nconv2d(3, 3)\n";
  CommandResult bad = cnngen("json " + path("bad.net") + " -o " + path("bad.json"));
  EXPECT_EQ(bad.status, 1) << bad.output;
  EXPECT_FALSE(fs::exists(path("bad.json")));
}

}  // namespace
