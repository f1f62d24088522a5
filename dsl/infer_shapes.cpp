// Shape inference of one layer line: the table of layer kinds, and the element-wise and fully
// connected layers. Window layers live in infer_spatial.cpp; the walk over statements, blocks and
// joins in elaborate.cpp.
#include "dsl/infer_shapes.hpp"

#include <algorithm>
#include <climits>
#include <limits>
#include <map>

#include "dsl/infer_layer.hpp"

namespace cnngen {
namespace {

const std::map<std::string, InferFunction, std::less<>> &layer_kinds() {
  static const std::map<std::string, InferFunction, std::less<>> kinds = {
      {"conv2d", infer_conv2d},   {"maxpool2d", infer_maxpool2d}, {"avgpool2d", infer_avgpool2d},
      {"linear", infer_linear},   {"flatten", infer_flatten},     {"relu", infer_relu},
      {"sigmoid", infer_sigmoid}, {"tanh", infer_tanh},           {"softmax", infer_softmax},
      {"dropout", infer_dropout},
      {"batchnorm2d", infer_batchnorm2d},
      {"batchnorm1d", infer_batchnorm1d},
      {"adaptiveavgpool2d", infer_adaptiveavgpool2d},
      {"adaptivemaxpool2d", infer_adaptivemaxpool2d},
      {"relu6", infer_relu6},
      {"leaky_relu", infer_leaky_relu},
      {"silu", infer_silu},
      {"hardswish", infer_hardswish},
      {"hardsigmoid", infer_hardsigmoid},
      {"gelu", infer_gelu},
      {"chunk", infer_chunk},
      {"narrow", infer_narrow},
      {"channel_shuffle", infer_channel_shuffle},
      {"permute", infer_permute},
      {"parameter", infer_parameter},
      {"layernorm", infer_layernorm},
      {"layernorm2d", infer_layernorm2d},
      {"identity", infer_identity},
      {"zeropad2d", infer_zeropad2d},
      {"constantpad2d", infer_constantpad2d},
      {"reflectionpad2d", infer_reflectionpad2d},
      {"replicationpad2d", infer_replicationpad2d},
  };
  return kinds;
}

std::optional<Inferred> infer_activation(const LayerContext &context, ActivationKind kind) {
  LayerArguments args(context.layer, {}, 0, context.diagnostics);
  const Shape *in = context.input_shape();
  if (!in) return std::nullopt;
  return Inferred{Activation{kind}, *in};
}

/// Tensors and parameters are indexed with 32-bit integers in generated code.
bool check_sizes(const Node &node, const Shape &shape, Diagnostics &diagnostics) {
  if (element_count(shape) > INT_MAX) {
    diagnostics.error(node.range, describe(node) + " output " + describe(shape) +
                                      " has more than 2^31−1 elements per image");
    return false;
  }
  for (const Parameter &parameter : parameters(node)) {
    if (element_count(parameter.shape) > INT_MAX) {
      diagnostics.error(node.range, describe(node) + " parameter " + parameter.name + " (" +
                                        describe(parameter.shape) +
                                        ") has more than 2^31−1 elements");
      return false;
    }
  }
  return true;
}

/// The layers that may read a channels-last tensor: they work on its last dimension (layernorm,
/// linear), on each value (activations, dropout, identity), or permute it back.
bool reads_channels_last(const std::string &kind) {
  for (const char *k : {"layernorm", "linear", "permute", "dropout", "identity", "relu", "relu6", "sigmoid", "tanh",
                        "leaky_relu", "silu", "hardswish", "hardsigmoid", "gelu"}) {
    if (kind == k) return true;
  }
  return false;
}

}  // namespace

bool is_layer_kind(std::string_view kind) { return layer_kinds().count(kind) > 0; }

std::vector<std::string_view> layer_kind_names() {
  std::vector<std::string_view> names;
  for (const auto &[name, function] : layer_kinds()) names.push_back(name);
  return names;
}

/// Checks one layer line and, where its input shape is known, appends its node and output tensor.
/// Returns the new output tensor, or -1 when the layer's output shape is unknown.
int infer_layer(const ast::Layer &layer, int input, const NodePlace &place, Network &network,
                Diagnostics &diagnostics) {
  const auto &kinds = layer_kinds();
  auto kind = kinds.find(layer.kind.name);
  if (kind == kinds.end()) return -1;  // the caller reports unknown kinds
  const LayerContext context{layer, network, input, diagnostics};
  if (context.input_channels_last() && !reads_channels_last(layer.kind.name)) {
    Diagnostic &d = diagnostics.error(
        layer.kind.range, layer.kind.name + " cannot read a channels-last tensor (H×W×C, after permute((0, 2, 3, 1)))");
    context.note_input(d);
    d.with_help("between permute((0, 2, 3, 1)) and permute((0, 3, 1, 2)) cnngen takes layernorm, linear and "
                "element-wise layers; permute back first");
    return -1;
  }
  std::optional<Inferred> inferred = kind->second(context);
  if (!inferred || input < 0) return -1;
  // Element-wise layers keep their input's view.
  const bool channels_last = inferred->channels_last || (context.input_channels_last() &&
                                                         !std::holds_alternative<Permute>(inferred->op));
  Node node;
  node.kind = layer.kind.name;
  node.user_name = layer.name ? layer.name->name : "";
  node.op = std::move(inferred->op);
  node.inputs = {input};
  node.output = static_cast<int>(network.tensors.size());
  node.range = layer.range;
  node.index = place.index;
  node.path = place.path;
  node.scope = place.scope;
  if (!check_sizes(node, inferred->shape, diagnostics)) return -1;
  network.tensors.push_back({std::move(inferred->shape), static_cast<int>(network.nodes.size()), channels_last});
  network.nodes.push_back(std::move(node));
  return network.nodes.back().output;
}

void LayerContext::note_input(Diagnostic &diagnostic) const {
  // Walks back through the layers that changed the shape, nearest first, to the model's input.
  constexpr int kMaxSteps = 4;
  int tensor_index = input;
  for (int step = 0;; ++step) {
    const Tensor &tensor = network.tensors[static_cast<std::size_t>(tensor_index)];
    if (tensor.producer < 0) {
      diagnostic.note(network.input_range, "the model's input is " + describe(tensor.shape));
      return;
    }
    if (step == kMaxSteps) return;
    const Node &producer = network.nodes[static_cast<std::size_t>(tensor.producer)];
    const Shape &before = network.tensors[static_cast<std::size_t>(producer.inputs[0])].shape;
    tensor_index = producer.inputs[0];
    if (before == tensor.shape && step > 0) continue;  // element-wise: the shape passes through
    diagnostic.note(producer.range, describe(producer) + " turns " + describe(before) + " into " +
                                        describe(tensor.shape));
  }
}

bool LayerContext::expect_rank(std::size_t rank) const {
  const Shape *in = input_shape();
  if (!in) return false;
  if (in->size() == rank) return true;
  const std::string &kind = layer.kind.name;
  Diagnostic &d = diagnostics.error(
      layer.kind.range, kind + (rank == 3 ? " needs a C×H×W input, but its input is "
                                          : " needs a flat input of features, but its input is ") +
                            describe(*in));
  note_input(d);
  if (rank == 1) {
    d.with_fix("insert 'flatten' before this line", {layer.range.begin, layer.range.begin},
               "flatten\n");
  }
  return false;
}

std::optional<Inferred> infer_relu(const LayerContext &c) { return infer_activation(c, ActivationKind::relu); }
std::optional<Inferred> infer_relu6(const LayerContext &c) { return infer_activation(c, ActivationKind::relu6); }
std::optional<Inferred> infer_silu(const LayerContext &c) { return infer_activation(c, ActivationKind::silu); }
std::optional<Inferred> infer_hardswish(const LayerContext &c) { return infer_activation(c, ActivationKind::hardswish); }
std::optional<Inferred> infer_hardsigmoid(const LayerContext &c) {
  return infer_activation(c, ActivationKind::hardsigmoid);
}
std::optional<Inferred> infer_gelu(const LayerContext &c) { return infer_activation(c, ActivationKind::gelu); }

/// PyTorch's nn.LeakyReLU(negative_slope=0.01): any finite slope, negative and above 1 included.
std::optional<Inferred> infer_leaky_relu(const LayerContext &context) {
  LayerArguments args(context.layer, {"negative_slope"}, 1, context.diagnostics);
  constexpr double kLargest = std::numeric_limits<float>::max();
  auto slope = args.real("negative_slope", 0.01, -kLargest, kLargest);
  const Shape *in = context.input_shape();
  if (!slope || !in) return std::nullopt;
  return Inferred{Activation{ActivationKind::leaky_relu, *slope}, *in};
}

std::optional<Inferred> infer_identity(const LayerContext &context) {
  LayerArguments args(context.layer, {}, 0, context.diagnostics);
  const Shape *in = context.input_shape();
  if (!in) return std::nullopt;
  return Inferred{Identity{}, *in};
}

std::optional<Inferred> infer_sigmoid(const LayerContext &c) { return infer_activation(c, ActivationKind::sigmoid); }
std::optional<Inferred> infer_tanh(const LayerContext &c) { return infer_activation(c, ActivationKind::tanh); }

std::optional<Inferred> infer_softmax(const LayerContext &context) {
  LayerArguments args(context.layer, {}, 0, context.diagnostics);
  const Shape *in = context.input_shape();
  if (!in) return std::nullopt;
  return Inferred{Softmax{}, *in};
}

std::optional<Inferred> infer_dropout(const LayerContext &context) {
  LayerArguments args(context.layer, {"p"}, 1, context.diagnostics);
  auto p = args.real("p", 0.5, 0.0, 1.0);
  const Shape *in = context.input_shape();
  if (!p || !in) return std::nullopt;
  return Inferred{Dropout{*p}, *in};
}

std::optional<Inferred> infer_flatten(const LayerContext &context) {
  LayerArguments args(context.layer, {}, 0, context.diagnostics);
  const Shape *in = context.input_shape();
  if (!in) return std::nullopt;
  return Inferred{Flatten{}, {element_count(*in)}};
}

std::optional<Inferred> infer_linear(const LayerContext &context) {
  LayerArguments args(context.layer, {"out", "in", "bias"}, 1, context.diagnostics,
                      "nn.Linear(in_features, out_features, bias) takes 'in' first; cnngen's linear "
                      "takes 'out' first and infers 'in'");
  auto out = args.integer("out", std::nullopt, 1);
  auto declared_in = args.integer("in", 0, 1);
  auto bias = args.boolean("bias", true);
  if (out && declared_in && bias && context.input_channels_last()) {
    // nn.Linear over the last dimension of N×H×W×C: over the channels of each pixel, a 1×1
    // convolution of the tensor as it is stored, with nn.Linear's weight.
    const Shape &in = *context.input_shape();
    if (args.given("in") && *declared_in != in[0]) {
      context.diagnostics.error(args.where("in"), "linear declares in=" + std::to_string(*declared_in) +
                                                      ", but its channels-last input has " +
                                                      std::to_string(in[0]) + " channels");
      return std::nullopt;
    }
    Conv2d conv{in[0], *out, {1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, *bias, true};
    return Inferred{conv, {*out, in[1], in[2]}, true};
  }
  if (!out || !declared_in || !bias || !context.expect_rank(1)) return std::nullopt;
  std::int64_t in = (*context.input_shape())[0];
  if (args.given("in") && *declared_in != in) {
    Diagnostic &d = context.diagnostics.error(
        args.where("in"), "linear declares in=" + std::to_string(*declared_in) +
                              ", but its input has " + std::to_string(in) + " features");
    context.note_input(d);
    d.with_fix("write in=" + std::to_string(in) + ", or leave 'in' out to infer it", args.where("in"),
               std::to_string(in));
    return std::nullopt;
  }
  return Inferred{Linear{in, *out, *bias}, {*out}};
}

}  // namespace cnngen
