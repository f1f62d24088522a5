// `cnngen import`: an ONNX model as a .net file a person can read, check and edit, and its
// initializers as the weights that file names (docs/onnx.md). The graph is read with ONNX's own
// library (onnx_graph), each node mapped to a layer or join (map_nodes), the forks and joins
// written as the language's structure (net_structure), and the result checked by cnngen's own
// front end before anything is handed back.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dsl/diagnostics.hpp"
#include "dsl/safetensors.hpp"

namespace cnngen {

struct ImportedModel {
  std::string net_text;  // the .net file
  TensorFile weights;    // by the state_dict names the .net's layers give them
};

/// Largest .onnx file read: far above any CNN of torchvision (VGG-19: 548 MiB).
constexpr std::size_t kMaxOnnxBytes = std::size_t{2} << 30;

/// Imports the ONNX model held in `bytes` (`file` names it in diagnostics); the .net's model is
/// named `model_name`. Every node that cannot be mapped is reported, and nothing is returned if
/// anything was.
std::optional<ImportedModel> import_onnx(std::string_view bytes, const std::string &file,
                                         const std::string &model_name, Diagnostics &diagnostics);

/// Reads and imports the file at `path`; the model is named after the file (resnet18.onnx →
/// resnet18).
std::optional<ImportedModel> import_onnx_file(const std::string &path, Diagnostics &diagnostics);

/// The model name a path gives: its file name without the extension, made an identifier.
std::string model_name_of(const std::string &path);

}  // namespace cnngen
