// From ONNX's operators to the .net language's layers and joins: each node that computes the
// network becomes one step (a layer line, a join, or an alias where it passes its input through),
// with ONNX's semantics written in PyTorch's terms (ONNX's default pool stride is 1, PyTorch's the
// kernel; Gemm's alpha and beta are folded into the weights). Every node that cannot be mapped is
// reported, not only the first.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "dsl/diagnostics.hpp"
#include "dsl/safetensors.hpp"
#include "onnx/onnx_graph.hpp"

namespace cnngen::onnx_import {

struct Step {
  enum class Kind { layer, join, alias } kind = Kind::layer;
  std::string kind_name;  // layer: "conv2d", "relu"; join: "add", "concat", "mul"
  std::string name;       // a layer with weights: its name (a dotted state_dict path)
  std::string arguments;  // "64, 3, stride=2" (empty: none)
  std::vector<std::pair<std::string, WeightTensor>> weights;  // state_dict name → tensor
  std::vector<std::string> inputs;  // the values it reads: one for a layer, two or more for a join
  std::string output;
  std::string origin;  // the ONNX node, for the comment beside its line
  std::string scope;   // the module path in the node's name (layer1.0.relu); empty where it has none
};

/// Whether `name` is a name the language accepts: dotted parts of word characters, '-' between
/// them, the first part starting with a letter or '_' (`net.0`, not `0.net`).
bool writable_name(const std::string &name);

/// The module path in a node name as PyTorch's exporter writes it, '/layer2/layer2.0/downsample/
/// downsample.0/Conv' → layer2.0.downsample.0; empty where the name is not of that form.
std::string module_path(const std::string &node_name);

/// The ONNX operators map_nodes maps (each in the forms the language can write; Constant and the
/// shape arithmetic onnx_graph folds come on top).
const std::vector<std::string> &mapped_operators();

/// The steps of `graph`'s nodes that are not folded, in graph order, with patterns the exporters
/// write for one module made that module's layer (x·sigmoid(x) → silu; MatMul then Add of a
/// constant → one linear layer). Reports every node that cannot be mapped against `file`.
std::vector<Step> map_nodes(const Graph &graph, const std::string &file, Diagnostics &diagnostics);

}  // namespace cnngen::onnx_import
