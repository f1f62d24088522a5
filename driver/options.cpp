// Command-line parsing for cnngen; see options.hpp.
#include "driver/options.hpp"

#include <cctype>
#include <initializer_list>
#include <utility>
#include <string_view>

namespace cnngen {
namespace {

constexpr const char *kUsage =
    "usage: cnngen [compile] MODEL.net [--weights W.safetensors] [-o OUT.a] [--target T] [--name F]\n"
    "       cnngen check MODEL.net [--weights W.safetensors] [-Wno-NAME] [-Werror]\n"
    "       cnngen summary MODEL.net [--batch N]\n"
    "       cnngen schedule MODEL.net [--weights W.safetensors] [--target T] [--conv=C] [-o OUT.txt]\n"
    "       cnngen dot MODEL.net [-o OUT.dot]\n"
    "       cnngen json MODEL.net [-o OUT.json]\n"
    "       cnngen runtime [-o RUNTIME.a] [--target T]\n"
    "       cnngen import MODEL.onnx [-o OUT.net] [--weights-out OUT.safetensors]\n"
    "       (every command also takes MODEL.onnx in place of MODEL.net: imported in memory)\n"
    "\n"
    "compile  compile MODEL.net into a static library OUT.a and headers OUT.h and OUT.hpp (the default)\n"
    "check    parse and check the model (and weights) only; no code generation\n"
    "summary  a table of the layers: shapes, parameters, multiply-adds, memory, receptive field\n"
    "schedule how the CPU schedule computes each convolution and linear layer (algorithm, register\n"
    "         tile, what the threads share) and each loop level's working set against the caches\n"
    "dot      the network as a Graphviz graph (to standard output unless -o is given)\n"
    "json     the checked graph as JSON (docs/graph_json.md; to standard output unless -o is given)\n"
    "runtime  the Halide runtime alone (default: runtime.a), shared by libraries whose target has\n"
    "         the no_runtime feature\n"
    "import   an ONNX model as a .net file (default: MODEL.net) and its weights (default: the .net's\n"
    "         name with .safetensors), for `cnngen OUT.net --weights OUT.safetensors` (docs/onnx.md)\n"
    "\n"
    "  --weights W    embed the weights of the safetensors file W (else they become arguments)\n"
    "  --weights-prefix P   remove P from W's tensor names first (D2L's net., DataParallel's module.)\n"
    "  -o OUT         output file (compile: default MODEL_NAME.a, with the headers beside it)\n"
    "  --target T     Halide target string (default: host); several, comma-separated and best\n"
    "                 first, make one library that picks the best the CPU runs\n"
    "  --name F       name of the generated C function (default: the model's name)\n"
    "  --batch N      batch size for summary, and the one autoschedulers plan for (default: 1)\n"
    "  --schedule=manual|adams2019|mullapudi2016   cnngen's schedules (default) or one of Halide's\n"
    "                 autoschedulers\n"
    "  --no-fuse      fold no batch norm into the layer before it and fuse no activation or\n"
    "                 residual add into a convolution's tiles (to measure what fusion gains)\n"
    "  --conv=auto|direct|winograd|winograd4   how 3×3 and 5×5 stride-1 convolutions are\n"
    "                 computed on the CPU: by Winograd where measured faster (default: F(4×4, 3×3)\n"
    "                 from 12×12 outputs, else F(2×2, 3×3); F(2×2, 5×5)), never, always by\n"
    "                 F(2×2, 3×3), or always by F(4×4, 3×3); 5×5 kernels always by F(2×2, 5×5)\n"
    "                 with either (Winograd needs embedded weights; other layers are direct)\n"
    "  --layers-per-part N   compile a CPU network of 2N layers or more in parts of about N\n"
    "                 layers, each its own Halide pipeline (default: 12; 0: whole): Halide's\n"
    "                 compile time grows with depth × size, the parts' with their own\n"
    "  -j N, --jobs N   compile up to N parts at once, each in a process of its own (default:\n"
    "                 one per core this process may use)\n"
    "  --color=auto|always|never             colour diagnostics (default: auto, on a terminal)\n"
    "  --diagnostics-format=text|json        diagnostics as text or as JSON (docs/diagnostics.md)\n"
    "  --version      print cnngen's version and the Halide it was built with\n"
    "  --timings      after compiling, print the seconds each stage took (scheduling and lowering\n"
    "                 the parts, the entry point); a compile over 2 s on a terminal shows its\n"
    "                 stage as it goes\n"
    "  -WNAME, -Wno-NAME   turn warning NAME on or off: unread-input, unused-tensor\n"
    "                 (docs/diagnostics.md); -Werror makes warnings errors, -Wno-error undoes it\n"
    "Exit status: 0 success, 1 error in the model, weights or output path, 2 bad command line,\n"
    "3 internal error (a bug in cnngen).\n";

/// Sets `out` to the value of the keyword `value` among `choices` and returns "", or returns
/// "OPTION takes A, B or C, not 'VALUE'" (the keywords in the order given) and leaves `out` alone.
template <typename T>
std::string choose(std::string_view option, std::string_view value,
                   std::initializer_list<std::pair<const char *, T>> choices, T &out) {
  std::string names;
  std::size_t listed = 0;
  for (const auto &[name, result] : choices) {
    if (value == name) {
      out = result;
      return "";
    }
    names += (listed == 0 ? "" : listed + 1 == choices.size() ? " or " : ", ") + std::string(name);
    ++listed;
  }
  return std::string(option) + " takes " + names + ", not '" + std::string(value) + "'";
}

bool is_c_identifier(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

bool ends_with(const std::string &s, std::string_view suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::optional<Options> parse_options(int argc, char **argv, std::ostream &out,
                                     std::ostream &errors, bool &help_shown) {
  Options options;
  help_shown = false;
  auto fail = [&](const std::string &message) {
    errors << "cnngen: error: " << message << "\n" << kUsage;
    return std::nullopt;
  };
  int first = 1;
  if (argc > 1) {
    std::string_view command = argv[1];
    first = 2;
    if (command == "compile") options.command = Command::compile;
    else if (command == "check") options.command = Command::check;
    else if (command == "summary") options.command = Command::summary;
    else if (command == "schedule") options.command = Command::schedule;
    else if (command == "dot") options.command = Command::dot;
    else if (command == "json") options.command = Command::json;
    else if (command == "runtime") options.command = Command::runtime;
    else if (command == "import") options.command = Command::import_onnx;
    else first = 1;
  }
  for (int i = first; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string &into) {
      if (i + 1 >= argc) return false;
      into = argv[++i];
      return true;
    };
    if (arg == "-h" || arg == "--help") {
      out << kUsage;
      help_shown = true;
      return std::nullopt;
    }
    if (arg == "--version") {
      out << "cnngen " CNNGEN_VERSION " (Halide " CNNGEN_HALIDE_VERSION ")\n";
      help_shown = true;
      return std::nullopt;
    }
    if (arg == "--weights" || arg == "--weights-prefix" || arg == "-o" || arg == "--target" ||
        arg == "--name" || arg == "--weights-out") {
      std::string *into = arg == "--weights"          ? &options.weights_path
                          : arg == "--weights-prefix" ? &options.weights_prefix
                          : arg == "--weights-out"    ? &options.weights_out
                          : arg == "-o"               ? &options.output_path
                          : arg == "--target"         ? &options.target
                                                      : &options.function_name;
      if (!value(*into)) return fail(std::string(arg) + " needs a value");
    } else if (arg == "--no-fuse") {
      options.fuse = false;
    } else if (arg == "--timings") {
      options.timings = true;
    } else if (arg == "--batch" || arg == "--layers-per-part" || arg == "--jobs" || arg == "-j") {
      std::string text;
      if (!value(text)) return fail(std::string(arg) + " needs a value");
      const bool batch = arg == "--batch", jobs = arg == "--jobs" || arg == "-j";
      const long long least = batch || jobs ? 1 : 0, most = batch ? (1 << 20) : jobs ? 1024 : 100000;
      std::size_t used = 0;
      long long number = -1;
      try {
        number = std::stoll(text, &used);
      } catch (...) {
        used = 0;
      }
      if (used != text.size() || number < least || number > most) {
        return fail(std::string(arg) + " needs a number from " + std::to_string(least) + " to " +
                    std::to_string(most) + ", not '" + text + "'");
      }
      if (batch) options.batch = number;
      else if (jobs) options.jobs = static_cast<int>(number);
      else options.layers_per_part = static_cast<int>(number);
    } else if (arg.substr(0, 11) == "--schedule=") {
      options.schedule = std::string(arg.substr(11));
      if (options.schedule != "manual" && options.schedule != "adams2019" &&
          options.schedule != "mullapudi2016")
        return fail("--schedule takes manual, adams2019 or mullapudi2016, not '" + options.schedule + "'");
    } else if (arg.substr(0, 7) == "--conv=") {
      std::string problem = choose("--conv", arg.substr(7),
                                   {{"direct", ConvAlgorithm::direct}, {"winograd", ConvAlgorithm::winograd},
                                    {"winograd4", ConvAlgorithm::winograd4}, {"auto", ConvAlgorithm::automatic}},
                                   options.conv);
      if (!problem.empty()) return fail(problem);
    } else if (arg.substr(0, 8) == "--color=") {
      std::string problem = choose("--color", arg.substr(8),
                                   {{"auto", ColorMode::automatic}, {"always", ColorMode::always},
                                    {"never", ColorMode::never}},
                                   options.color);
      if (!problem.empty()) return fail(problem);
    } else if (arg.substr(0, 21) == "--diagnostics-format=") {
      std::string problem = choose("--diagnostics-format", arg.substr(21),
                                   {{"text", DiagnosticsFormat::text}, {"json", DiagnosticsFormat::json}},
                                   options.diagnostics_format);
      if (!problem.empty()) return fail(problem);
    } else if (arg.substr(0, 2) == "-W") {
      std::string problem = apply_warning_switch(arg.substr(2), options.warnings);
      if (!problem.empty()) return fail(problem);
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + std::string(arg) + "'");
    } else if (options.command == Command::runtime) {
      return fail("runtime takes no model file, but was given '" + std::string(arg) + "'");
    } else if (options.model_path.empty()) {
      options.model_path = arg;
    } else {
      return fail("more than one model file ('" + options.model_path + "', '" + std::string(arg) + "')");
    }
  }
  if (options.model_path.empty() && options.command != Command::runtime) return fail("no model file given");
  if (!options.weights_prefix.empty() && options.weights_path.empty())
    return fail("--weights-prefix needs --weights");
  if (!options.function_name.empty() && !is_c_identifier(options.function_name))
    return fail("--name '" + options.function_name + "' is not a C identifier");
  bool writes_library = options.command == Command::compile || options.command == Command::runtime;
  if (writes_library && !options.output_path.empty() &&
      !ends_with(options.output_path, ".a"))
    return fail("-o must name a static library ending in .a, not '" + options.output_path + "'");
  const bool imports = options.command == Command::import_onnx;
  if (imports && !options.output_path.empty() && !ends_with(options.output_path, ".net"))
    return fail("import's -o must name a model file ending in .net, not '" + options.output_path + "'");
  if (!options.weights_out.empty() && !imports) return fail("--weights-out is an option of import only");
  if (is_onnx_path(options.model_path) && !options.weights_path.empty())
    return fail("an ONNX model's weights come from its file: --weights is for .net models");
  return options;
}

bool is_onnx_path(const std::string &path) { return ends_with(path, ".onnx"); }

}  // namespace cnngen
