// Ahead-of-time emission: compiles a scheduled pipeline into a static library (carrying the Halide
// runtime unless the target says no_runtime), a documented C header and a C++ header, atomically:
// nothing appears at the output paths unless all three were written in full. Also the standalone
// runtime that libraries built with no_runtime share.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include <Halide.h>

#include "codegen/lower.hpp"
#include "codegen/parts.hpp"

namespace cnngen {

struct EmitRequest {
  std::string function_name;
  std::string source_name;  // the .net file, named in the header
  std::string library_path;  // …/lenet.a
  std::string header_path;   // …/lenet.h
  std::string cpp_header_path;  // …/lenet.hpp
  std::vector<Halide::Target> targets;  // several: one library that picks the first the CPU runs
  int layers_per_part = kDefaultLayersPerPart;  // deep networks are compiled in parts (parts.hpp)
  int jobs = 0;  // processes compiling a cut network's parts at once; 0: one per available core
  ProgressReport progress;  // told each stage as it starts (may be empty)
};

/// The output files cannot be written (a missing directory, no permission, a full disk): the
/// user's to fix, unlike a Halide::Error, which means cnngen generated something wrong.
struct OutputFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Compiles the pipelines that `build` makes as described by `request`; with several targets, the
/// library dispatches at run time to the first one the CPU supports. Every entry point begins with
/// add_entry_checks (error_reporting.hpp), and the C header ends with the C functions those call
/// (runtime/cnngen/error_reporting.h), so that errors are returned by default. Throws
/// OutputFileError or Halide::Error after removing every temporary file; the output paths are then
/// untouched.
void emit_library(const PipelineBuilder &build, const Network &network, const EmitRequest &request);

/// Every file emit_library may create for `request`: the three outputs and their temporaries.
std::vector<std::string> emission_files(const EmitRequest &request);

/// Writes the Halide runtime for `target` alone to the static library `path`, atomically.
void emit_runtime(const std::string &path, const Halide::Target &target);

}  // namespace cnngen
