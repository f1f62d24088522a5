// Shape inference: the statement walk, the table of layer kinds, and the element-wise and
// fully connected layers. Window layers live in infer_spatial.cpp.
#include "dsl/infer_shapes.hpp"

#include <algorithm>
#include <climits>
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
  };
  return kinds;
}

std::optional<Inferred> infer_activation(const LayerContext &context, ActivationKind kind) {
  LayerArguments args(context.layer, {}, 0, context.diagnostics);
  const Shape *in = context.input_shape();
  if (!in) return std::nullopt;
  return Inferred{Activation{kind}, *in};
}

/// Reads `input 1x28x28` into the network's input tensor.
bool declare_input(const ast::InputDecl &decl, Network &network, Diagnostics &diagnostics) {
  network.input_range = decl.range;
  if (decl.dims.size() != 1 && decl.dims.size() != 3) {
    diagnostics
        .error(decl.range, "input must be C×H×W (an image) or F (features), not " +
                               std::to_string(decl.dims.size()) + " dimensions")
        .with_help("write for example 'input 1x28x28'; the batch size is chosen at run time");
    return false;
  }
  for (std::int64_t d : decl.dims) {
    if (d < 1 || d > kMaxDimension) {
      diagnostics.error(decl.range, "input dimension " + std::to_string(d) + " must lie in [1, " +
                                        std::to_string(kMaxDimension) + "]");
      return false;
    }
  }
  Shape shape(decl.dims.begin(), decl.dims.end());
  if (element_count(shape) > INT_MAX) {
    diagnostics.error(decl.range, "input " + describe(shape) +
                                      " has more than 2^31−1 elements per image");
    return false;
  }
  network.tensors.push_back({std::move(shape), -1});
  network.input = network.output = 0;
  return true;
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

/// Checks one layer line and, where its input shape is known, appends its node and output tensor.
/// Returns the new output tensor, or -1 when the layer's output shape is unknown.
int infer_layer(const ast::Layer &layer, int input, int layer_index, Network &network,
                Diagnostics &diagnostics) {
  const auto &kinds = layer_kinds();
  auto kind = kinds.find(layer.kind.name);
  if (kind == kinds.end()) {
    std::vector<std::string_view> names;
    for (const auto &[name, function] : kinds) names.push_back(name);
    Diagnostic &d = diagnostics.error(layer.kind.range, "unknown layer '" + layer.kind.name + "'");
    std::string suggestion = closest_match(layer.kind.name, names);
    if (!suggestion.empty()) d.with_fix("did you mean '" + suggestion + "'?", layer.kind.range, suggestion);
    return -1;
  }
  std::optional<Inferred> inferred = kind->second(LayerContext{layer, network, input, diagnostics});
  if (!inferred || input < 0) return -1;
  Node node;
  node.kind = layer.kind.name;
  node.user_name = layer.name ? layer.name->name : "";
  node.op = std::move(inferred->op);
  node.inputs = {input};
  node.output = static_cast<int>(network.tensors.size());
  node.range = layer.range;
  node.index = layer_index;
  node.path = node.user_name.empty() ? std::to_string(layer_index) : node.user_name;
  if (!check_sizes(node, inferred->shape, diagnostics)) return -1;
  network.tensors.push_back({std::move(inferred->shape), static_cast<int>(network.nodes.size())});
  network.nodes.push_back(std::move(node));
  return network.nodes.back().output;
}

/// A layer's name becomes the name of its Funcs and weight arguments in generated code, so it must
/// not coincide with a name cnngen derives for another layer ("conv2d_0", "fc_weight") or for the
/// model ("input").
void check_generated_names(const Network &network,
                           const std::map<std::string, SourceRange, std::less<>> &layer_names,
                           Diagnostics &diagnostics) {
  std::map<std::string, std::string> owners;  // generated name → what it belongs to
  for (const std::string &name : reserved_names(network.name)) owners[name] = "the model";
  for (const Node &node : network.nodes) {
    if (!node.user_name.empty()) continue;
    for (const std::string &name : generated_names(node)) owners[name] = describe(node);
  }
  for (const Node &node : network.nodes) {
    if (node.user_name.empty()) continue;
    for (const std::string &name : generated_names(node)) {
      auto [it, fresh] = owners.emplace(name, describe(node));
      if (fresh || it->second == describe(node)) continue;
      diagnostics
          .error(layer_names.at(node.user_name),
                 "layer name '" + node.user_name + "' clashes with the name '" + name +
                     "' that cnngen gives to " + it->second + " in generated code")
          .with_help("choose another name for this layer");
      break;
    }
  }
}

}  // namespace

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
  LayerArguments args(context.layer, {"out", "in", "bias"}, 1, context.diagnostics);
  auto out = args.integer("out", std::nullopt, 1);
  auto declared_in = args.integer("in", 0, 1);
  auto bias = args.boolean("bias", true);
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

std::optional<Network> infer_shapes(const ast::Model &model, Diagnostics &diagnostics) {
  Network network;
  const ast::ModelDecl *model_decl = nullptr;
  const ast::InputDecl *input_decl = nullptr;
  std::map<std::string, SourceRange, std::less<>> layer_names;
  int current = -1;  // the tensor the next layer reads; -1 while unknown
  int layer_index = 0;
  bool has_input = std::any_of(model.statements.begin(), model.statements.end(), [](const auto &s) {
    return boost::get<ast::InputDecl>(&s.get()) != nullptr;
  });
  for (const ast::Statement &statement : model.statements) {
    if (diagnostics.too_many_errors()) break;
    if (const auto *decl = boost::get<ast::ModelDecl>(&statement.get())) {
      if (model_decl) {
        diagnostics.error(decl->range, "a file holds one model; this is a second 'model' line")
            .note(model_decl->range, "the model is declared here");
        continue;
      }
      if (input_decl || layer_index > 0)
        diagnostics.error(decl->range, "the 'model' line must come first");
      model_decl = decl;
      network.name = decl->name.name;
    } else if (const auto *decl = boost::get<ast::InputDecl>(&statement.get())) {
      if (input_decl) {
        diagnostics.error(decl->range, "the model has a second 'input' line")
            .note(input_decl->range, "the input is declared here");
        continue;
      }
      input_decl = decl;
      if (layer_index > 0) diagnostics.error(decl->range, "'input' must come before the layers");
      else if (declare_input(*decl, network, diagnostics)) current = network.input;
    } else {
      const auto &layer = boost::get<ast::Layer>(statement.get());
      if (layer_index == kMaxLayers) {
        diagnostics.error(layer.range, "more than " + std::to_string(kMaxLayers) +
                                           " layers; cnngen compiles at most that many");
        break;
      }
      if (has_input && !input_decl && layer_index == 0) {
        diagnostics.error(layer.range, "layer before the model's 'input' line")
            .with_help("declare the input shape first, for example 'input 1x28x28'");
      }
      if (layer.name) {
        auto [it, fresh] = layer_names.emplace(layer.name->name, layer.name->range);
        if (!fresh) {
          diagnostics.error(layer.name->range, "a layer named '" + layer.name->name +
                                                   "' already exists")
              .note(it->second, "the first '" + layer.name->name + "' is here");
        }
      }
      current = infer_layer(layer, current, layer_index, network, diagnostics);
      ++layer_index;
    }
  }
  check_generated_names(network, layer_names, diagnostics);
  if (!model_decl) {
    diagnostics.error({0, 0}, "missing 'model NAME' line")
        .with_help("start the file with for example 'model lenet'");
  }
  if (!input_decl && model_decl) {
    diagnostics.error(model_decl->range, "model '" + network.name + "' has no 'input' line")
        .with_help("declare the input shape after the model line, for example 'input 1x28x28'");
  }
  if (diagnostics.has_errors()) return std::nullopt;
  network.output = current;
  return network;
}

}  // namespace cnngen
