// The cnngen command line.
#pragma once

#include <optional>
#include <ostream>
#include <string>

namespace cnngen {

struct Options {
  std::string model_path;
  std::string weights_path;    // empty: weights become arguments of the generated function
  std::string output_path;     // the .a; the .h goes beside it. Empty: "<model name>.a"
  std::string target = "host";
  std::string function_name;   // empty: the model's name
};

/// Parses argv. On a malformed command line, writes why to `errors` and returns nothing;
/// `--help` writes the usage to `out` and also returns nothing, setting `help_shown`.
std::optional<Options> parse_options(int argc, char **argv, std::ostream &out,
                                     std::ostream &errors, bool &help_shown);

}  // namespace cnngen
