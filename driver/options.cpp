// Command-line parsing for cnngen; see options.hpp.
#include "driver/options.hpp"

#include <cctype>
#include <string_view>

namespace cnngen {
namespace {

constexpr const char *kUsage =
    "usage: cnngen MODEL.net [--weights W.safetensors] [-o OUT.a] [--target T] [--name F]\n"
    "\n"
    "Compiles a network described in MODEL.net into a static library OUT.a and a header OUT.h.\n"
    "  --weights W    embed the weights of the safetensors file W (else they become arguments)\n"
    "  -o OUT.a       output library; the header is written beside it (default: MODEL_NAME.a)\n"
    "  --target T     Halide target string (default: host)\n"
    "  --name F       name of the generated C function (default: the model's name)\n"
    "Exit status: 0 success, 1 error in the model or weights, 2 bad command line, 3 internal error.\n";

bool is_c_identifier(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
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
  for (int i = 1; i < argc; ++i) {
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
    if (arg == "--weights" || arg == "-o" || arg == "--target" || arg == "--name") {
      std::string *into = arg == "--weights" ? &options.weights_path
                          : arg == "-o"      ? &options.output_path
                          : arg == "--target" ? &options.target
                                              : &options.function_name;
      if (!value(*into)) return fail(std::string(arg) + " needs a value");
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + std::string(arg) + "'");
    } else if (options.model_path.empty()) {
      options.model_path = arg;
    } else {
      return fail("more than one model file ('" + options.model_path + "', '" + std::string(arg) + "')");
    }
  }
  if (options.model_path.empty()) return fail("no model file given");
  if (!options.function_name.empty() && !is_c_identifier(options.function_name))
    return fail("--name '" + options.function_name + "' is not a C identifier");
  const std::string &o = options.output_path;
  if (!o.empty() && (o.size() < 3 || o.compare(o.size() - 2, 2, ".a") != 0))
    return fail("-o must name a static library ending in .a, not '" + options.output_path + "'");
  return options;
}

}  // namespace cnngen
