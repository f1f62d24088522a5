// What the per-kind inference functions share: the layer being checked, its input, and how to
// point a diagnostic at where that input came from. Internal to shape inference.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/layer_arguments.hpp"
#include "dsl/network.hpp"

namespace cnngen {

struct LayerContext {
  const ast::Layer &layer;
  const Network &network;
  int input = -1;  // tensor index; -1 when an earlier error left the input's shape unknown
  Diagnostics &diagnostics;

  /// The input's shape, or null when it is unknown (then only the arguments are checked).
  const Shape *input_shape() const {
    return input < 0 ? nullptr : &network.tensors[static_cast<std::size_t>(input)].shape;
  }
  /// Whether the input is a channels-last view (after permute((0, 2, 3, 1)); Tensor::channels_last).
  bool input_channels_last() const {
    return input >= 0 && network.tensors[static_cast<std::size_t>(input)].channels_last;
  }
  /// Adds a note saying which statement produced the input and its shape.
  void note_input(Diagnostic &diagnostic) const;
  /// Reports that this layer needs an input of rank `rank` (1: features, 3: C×H×W); true if fine.
  bool expect_rank(std::size_t rank) const;
};

struct Inferred {
  Operation op;
  Shape shape;
  bool channels_last = false;  // the output is a channels-last view (Tensor::channels_last)
};

using InferFunction = std::optional<Inferred> (*)(const LayerContext &);

/// Where a layer line's node sits in the module tree (Node::path, scope and index).
struct NodePlace {
  std::string path, scope;
  int index = 0;
};

/// Whether `kind` is a built-in layer, and all their names (for "did you mean").
bool is_layer_kind(std::string_view kind);
std::vector<std::string_view> layer_kind_names();

/// Checks one evaluated layer line of a built-in kind and, where its input shape is known,
/// appends its node and output tensor. Returns the new output tensor, or -1 when the layer's
/// output shape is unknown.
int infer_layer(const ast::Layer &layer, int input, const NodePlace &place, Network &network,
                Diagnostics &diagnostics);

std::optional<Inferred> infer_conv2d(const LayerContext &context);
std::optional<Inferred> infer_maxpool2d(const LayerContext &context);
std::optional<Inferred> infer_avgpool2d(const LayerContext &context);
std::optional<Inferred> infer_zeropad2d(const LayerContext &context);
std::optional<Inferred> infer_constantpad2d(const LayerContext &context);
std::optional<Inferred> infer_reflectionpad2d(const LayerContext &context);
std::optional<Inferred> infer_replicationpad2d(const LayerContext &context);
std::optional<Inferred> infer_adaptiveavgpool2d(const LayerContext &context);
std::optional<Inferred> infer_adaptivemaxpool2d(const LayerContext &context);
std::optional<Inferred> infer_batchnorm2d(const LayerContext &context);
std::optional<Inferred> infer_batchnorm1d(const LayerContext &context);
std::optional<Inferred> infer_linear(const LayerContext &context);
std::optional<Inferred> infer_flatten(const LayerContext &context);
std::optional<Inferred> infer_relu(const LayerContext &context);
std::optional<Inferred> infer_relu6(const LayerContext &context);
std::optional<Inferred> infer_leaky_relu(const LayerContext &context);
std::optional<Inferred> infer_silu(const LayerContext &context);
std::optional<Inferred> infer_hardswish(const LayerContext &context);
std::optional<Inferred> infer_hardsigmoid(const LayerContext &context);
std::optional<Inferred> infer_gelu(const LayerContext &context);
// dsl/infer_channels.cpp
std::optional<Inferred> infer_chunk(const LayerContext &context);
std::optional<Inferred> infer_narrow(const LayerContext &context);
std::optional<Inferred> infer_channel_shuffle(const LayerContext &context);
std::optional<Inferred> infer_permute(const LayerContext &context);
std::optional<Inferred> infer_parameter(const LayerContext &context);
// dsl/infer_normalization.cpp
std::optional<Inferred> infer_layernorm(const LayerContext &context);
std::optional<Inferred> infer_layernorm2d(const LayerContext &context);
std::optional<Inferred> infer_identity(const LayerContext &context);
std::optional<Inferred> infer_sigmoid(const LayerContext &context);
std::optional<Inferred> infer_tanh(const LayerContext &context);
std::optional<Inferred> infer_softmax(const LayerContext &context);
std::optional<Inferred> infer_dropout(const LayerContext &context);

}  // namespace cnngen
