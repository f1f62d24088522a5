// cnngen: compiles a .net model into a static library and header. Reads like the pipeline it runs:
// parse, check shapes, check weights, lower, schedule, emit.
#include <cstdio>
#include <iostream>

#include <Halide.h>

#include "codegen/emit.hpp"
#include "codegen/lower.hpp"
#include "codegen/schedule.hpp"
#include "driver/options.hpp"
#include "dsl/front_end.hpp"

namespace {

enum ExitCode { kSuccess = 0, kUserError = 1, kUsageError = 2, kInternalError = 3 };

/// Removes what an earlier run left at the output paths, so a failed run leaves nothing stale.
void remove_outputs(const cnngen::EmitRequest &request) {
  std::remove(request.library_path.c_str());
  std::remove(request.header_path.c_str());
}

int compile(const cnngen::Options &options) {
  using namespace cnngen;
  std::string error;
  std::optional<SourceFile> source = SourceFile::read(options.model_path, error);
  if (!source) {
    std::cerr << options.model_path << ": error: cannot read the model file: " << error << "\n";
    return kUserError;
  }
  Diagnostics diagnostics(*source);
  CheckedModel checked = check_model(*source, options.weights_path, diagnostics);
  const std::optional<Network> &network = checked.network;
  diagnostics.render(std::cerr);

  EmitRequest request;
  request.function_name = options.function_name.empty() && network ? network->name
                                                                     : options.function_name;
  request.source_name = options.model_path;
  std::string library = options.output_path.empty() && network ? network->name + ".a"
                                                               : options.output_path;
  request.library_path = library;
  request.header_path = library.substr(0, library.size() - 2) + ".h";
  request.target = Halide::Target(options.target);
  if (diagnostics.has_errors()) {
    if (!library.empty()) remove_outputs(request);
    return kUserError;
  }
  try {
    LoweredNetwork lowered =
        lower(*network, checked.weights ? &*checked.weights : nullptr, request.function_name);
    schedule_cpu(lowered, *network, request.target);
    emit_library(lowered, *network, request);
  } catch (const OutputFileError &e) {
    std::cerr << "cnngen: error: " << e.what() << "\n";
    return kUserError;
  } catch (const std::exception &e) {
    remove_outputs(request);
    std::cerr << "cnngen: internal error while generating code for '" << network->name
              << "': " << e.what()
              << "\nThis is a bug in cnngen, not in your model: please report it with the model "
                 "file and the command line.\n";
    return kInternalError;
  }
  return kSuccess;
}

}  // namespace

int main(int argc, char **argv) {
  bool help_shown = false;
  std::optional<cnngen::Options> options =
      cnngen::parse_options(argc, argv, std::cout, std::cerr, help_shown);
  if (!options) return help_shown ? kSuccess : kUsageError;
  if (!Halide::Target::validate_target_string(options->target)) {
    std::cerr << "cnngen: error: '" << options->target << "' is not a Halide target string\n"
              << "note: examples: host, x86-64-linux-avx2, arm-64-linux, host-cuda\n";
    return kUsageError;
  }
  return compile(*options);
}
