// Runs of ONNX nodes that exporters write for one PyTorch module, found from their first node:
// torch.nn.LayerNorm as opset 17's LayerNormalization or, before it, as ReduceMean, Sub, Pow,
// ReduceMean, Add, Sqrt, Div (then Mul and Add of its weight and bias); and nn.GELU as its Erf
// form, x · ½ · (1 + erf(x / √2)). map_nodes makes each run one layer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "onnx/onnx_graph.hpp"

namespace cnngen::onnx_import {

/// A run of nodes that one layer computes: what it reads, what it gives, and its nodes (the
/// first included), every value in between read only inside the run.
struct NodeRun {
  std::string input, output;
  std::vector<int> nodes;
};

struct LayerNormRun : NodeRun {
  float eps = 1e-5f;
  std::string weight, bias;  // the constants' names; empty where the run has none
};

/// The layer norm over the last dimension that starts at node `first` (a LayerNormalization, or
/// the ReduceMean of the exported form), or nothing.
std::optional<LayerNormRun> match_layer_norm(const Graph &graph, int first);

/// The GELU whose Erf form starts at node `first` (the Div by √2, or a Mul by 1/√2), or nothing.
std::optional<NodeRun> match_gelu(const Graph &graph, int first);

/// The node reading `value` where it is the only reader (and `value` not the graph's output),
/// else -1.
int sole_reader(const Graph &graph, const std::string &value);

/// The float scalar (a constant of one value) named `name`, or nothing.
std::optional<float> scalar_constant(const Graph &graph, const std::string &name);

}  // namespace cnngen::onnx_import
