// The whole front end in one call: parse, check shapes and, when a weights file is named, read it
// and check it against the network. Shared by the cnngen driver and the tests.
#pragma once

#include <optional>
#include <string>

#include "dsl/diagnostics.hpp"
#include "dsl/network.hpp"
#include "dsl/safetensors.hpp"
#include "dsl/source.hpp"

namespace cnngen {

struct CheckedModel {
  std::optional<Network> network;     // set when the model has no errors
  std::optional<TensorFile> weights;  // set when a weights file was named and matches
};

/// Runs every check on `source` (and on `weights_path` unless it is empty), reporting into
/// `diagnostics`. `weights_prefix` (--weights-prefix) is removed from the file's tensor names
/// before they are matched. The result is usable for code generation only if diagnostics has no
/// errors.
CheckedModel check_model(const SourceFile &source, const std::string &weights_path,
                         Diagnostics &diagnostics, const std::string &weights_prefix = "");

/// The same for a model whose weights are already in memory (an ONNX file imported in memory:
/// `cnngen MODEL.onnx`).
CheckedModel check_model(const SourceFile &source, TensorFile weights, const std::string &weights_name,
                         Diagnostics &diagnostics);

}  // namespace cnngen
