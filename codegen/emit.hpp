// Ahead-of-time emission: compiles a scheduled pipeline into a static library (carrying the Halide
// runtime), a documented C header and a C++ header, atomically: nothing appears at the output paths
// unless all three were written in full.
#pragma once

#include <stdexcept>
#include <string>

#include <Halide.h>

#include "codegen/lower.hpp"

namespace cnngen {

struct EmitRequest {
  std::string function_name;
  std::string source_name;  // the .net file, named in the header
  std::string library_path;  // …/lenet.a
  std::string header_path;   // …/lenet.h
  std::string cpp_header_path;  // …/lenet.hpp
  Halide::Target target;
};

/// The output files cannot be written (a missing directory, no permission, a full disk): the
/// user's to fix, unlike a Halide::Error, which means cnngen generated something wrong.
struct OutputFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Compiles `lowered` as described by `request`. Throws OutputFileError or Halide::Error after
/// removing every temporary file; the output paths are then untouched.
void emit_library(const LoweredNetwork &lowered, const Network &network,
                  const EmitRequest &request);

}  // namespace cnngen
