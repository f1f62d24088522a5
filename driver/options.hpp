// The cnngen command line: a subcommand (compile by default) and its options.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "codegen/conv_algorithm.hpp"
#include "dsl/diagnostics.hpp"

namespace cnngen {

enum class Command { compile, check, summary, schedule, dot, json, runtime, import_onnx };
enum class ColorMode { automatic, always, never };
enum class DiagnosticsFormat { text, json };

struct Options {
  Command command = Command::compile;
  std::string model_path;
  std::string weights_path;    // empty: weights become arguments of the generated function
  std::string weights_prefix;  // removed from the weights file's tensor names before matching
  std::string output_path;     // compile, runtime: the .a (the headers go beside it); dot, json: the file written; import: the .net
  std::string weights_out;     // import: the safetensors written (default: the .net's name with .safetensors)
  std::string target = "host";  // one Halide target string, or several separated by commas
  std::string function_name;   // empty: the model's name
  std::int64_t batch = 1;      // summary; compile: the batch the autoschedulers plan for
  std::string schedule = "manual";  // compile: manual, adams2019 or mullapudi2016
  bool fuse = true;            // compile: batch-norm folding and epilogue fusion (--no-fuse: off)
  bool timings = false;        // compile: each stage's seconds on stderr (--timings)
  ConvAlgorithm conv = ConvAlgorithm::automatic;  // compile: --conv=direct|winograd|auto
  int jobs = 0;                // compile: parts compiled at once (-j N); 0: one per available core
  int layers_per_part = -1;    // compile: deep CPU networks in parts (codegen/parts.hpp); 0: whole; -1: default
  ColorMode color = ColorMode::automatic;
  DiagnosticsFormat diagnostics_format = DiagnosticsFormat::text;
  WarningOptions warnings;     // -Wname, -Wno-name, -Werror, -Wno-error
};

/// Parses argv. On a malformed command line, writes why to `errors` and returns nothing;
/// `--help` writes the usage to `out` (`--version` the version) and also returns nothing, setting `help_shown`.
std::optional<Options> parse_options(int argc, char **argv, std::ostream &out,
                                     std::ostream &errors, bool &help_shown);

/// Whether `path` names an ONNX model (ends in .onnx): imported in memory by every command.
bool is_onnx_path(const std::string &path);

}  // namespace cnngen
