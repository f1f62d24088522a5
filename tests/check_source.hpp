// Test helper: runs the front end (parse and shape inference) over a model given as text.
#pragma once

#include <optional>
#include <sstream>
#include <string>

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

/// The checked network of `text`, or nothing; `rendered` receives the rendered diagnostics.
inline std::optional<Network> check_source(const std::string &text, std::string *rendered = nullptr,
                                           const std::string &name = "test.net") {
  SourceFile source(name, text);
  Diagnostics diagnostics(source);
  std::optional<Network> network;
  if (auto model = parse(source, diagnostics)) network = infer_shapes(*model, diagnostics);
  if (rendered) *rendered = cnngen::testing::rendered(diagnostics);
  return network;
}

}  // namespace cnngen::testing
