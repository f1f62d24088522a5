// Test helper: runs the front end (parse and shape inference) over a model given as text or read
// from a file, such as one of the examples.
#pragma once

#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "dsl/diagnostics.hpp"
#include "dsl/infer_shapes.hpp"
#include "dsl/parser.hpp"

namespace cnngen::testing {

/// Everything `diagnostics` holds, rendered as the command line prints it (no colour).
inline std::string rendered(const Diagnostics &diagnostics) {
  std::ostringstream out;
  diagnostics.render(out);
  return out.str();
}

/// The checked network of `source`, or nothing; `rendered` receives the rendered diagnostics.
inline std::optional<Network> check_source(const SourceFile &source, std::string *rendered = nullptr) {
  Diagnostics diagnostics(source);
  std::optional<Network> network;
  if (auto model = parse(source, diagnostics)) network = infer_shapes(*model, diagnostics);
  if (rendered) *rendered = cnngen::testing::rendered(diagnostics);
  return network;
}

/// The checked network of `text`, or nothing; `rendered` receives the rendered diagnostics.
inline std::optional<Network> check_source(const std::string &text, std::string *rendered = nullptr,
                                           const std::string &name = "test.net") {
  return check_source(SourceFile(name, text), rendered);
}

/// The checked network of the model file at `path` (relative to tests/, where CTest runs), or
/// nothing and a test failure saying why: the file cannot be read, or its diagnostics.
inline std::optional<Network> checked_file(const std::string &path) {
  std::string error;
  std::optional<SourceFile> source = SourceFile::read(path, error);
  if (!source) {
    ADD_FAILURE() << error;
    return std::nullopt;
  }
  std::string rendered;
  std::optional<Network> network = check_source(*source, &rendered);
  if (!network) ADD_FAILURE() << rendered;
  return network;
}

/// The checked network of examples/NAME/NAME.net, or nothing and a test failure (checked_file).
inline std::optional<Network> checked_example(const std::string &name) {
  return checked_file("../examples/" + name + "/" + name + ".net");
}

}  // namespace cnngen::testing
