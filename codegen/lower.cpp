// The graph walk of lowering: binds the input and the weights, then lowers node by node.
#include "codegen/lower.hpp"

#include <cmath>
#include <cstring>
#include <map>
#include <stdexcept>

#include "codegen/lower_layers.hpp"
#include "dsl/operation_traits.hpp"
#include "dsl/symbols.hpp"

namespace cnngen {
namespace {

/// Output channels or features per block of packed weights: one cache line of floats.
constexpr int kWeightBlock = 16;

/// A Func reading a parameter in PyTorch's layout, reversed into Halide's dimension order.
Halide::Func parameter_func(const Parameter &parameter, const TensorFile *weights,
                            const Node &node, std::vector<WeightArgument> &arguments) {
  std::vector<int> extents(parameter.shape.rbegin(), parameter.shape.rend());
  const std::string name = parameter_symbol(node, parameter);
  std::vector<Halide::Var> vars(extents.size());
  std::vector<Halide::Expr> at(vars.begin(), vars.end());
  // With weights as arguments the ImageParam takes `name` (it names the C argument) and this Func,
  // which the schedule may repack, another.
  Halide::Func func(weights ? name : name + suffix::packed);
  if (weights && std::holds_alternative<Linear>(node.op) && extents.size() == 2) {
    // Packed at compile time with the output feature innermost, so that the schedule can
    // vectorize a linear layer across its outputs with dense loads.
    const WeightTensor &tensor = weights->at(parameter.name);
    const int outputs = extents[1], inputs = extents[0];
    if (outputs % kWeightBlock == 0) {
      // In blocks of 16 outputs (one cache line), each block's weights contiguous for all inputs:
      // a tile of outputs then streams a few sequential runs instead of touching one page per
      // input (AlexNet's and VGG-11's first linear layers read 105 and 411 MB per call).
      Halide::Buffer<float> buffer(kWeightBlock, inputs, outputs / kWeightBlock, name + suffix::data);
      for (int o = 0; o < outputs; ++o) {
        for (int i = 0; i < inputs; ++i) {
          buffer(o % kWeightBlock, i, o / kWeightBlock) =
              tensor.data[static_cast<std::size_t>(o) * inputs + i];
        }
      }
      func(vars) = buffer(at[1] % kWeightBlock, at[0], at[1] / kWeightBlock);
    } else {
      Halide::Buffer<float> buffer(outputs, inputs, name + suffix::data);
      for (int o = 0; o < outputs; ++o) {
        for (int i = 0; i < inputs; ++i) buffer(o, i) = tensor.data[static_cast<std::size_t>(o) * inputs + i];
      }
      func(vars) = buffer(at[1], at[0]);
    }
  } else if (weights && std::holds_alternative<Conv2d>(node.op) && extents.size() == 4) {
    // Packed at compile time with the output channel innermost (co, kx, ky, ci), so that the
    // schedule can vectorize a convolution across its output channels with dense loads; in blocks
    // of 16 output channels where they divide, as the linear layers' weights. A tile of output
    // channels then streams its weights from a few sequential runs. Unblocked, one tap of a tile
    // read 64 channels out of every 512 (2 KB apart): the tile's 590 KB of weights (256 inputs)
    // fell in an eighth of L2's sets and came from L3 again for every tile.
    const WeightTensor &tensor = weights->at(parameter.name);
    const int outputs = extents[3];
    const int block = outputs % kWeightBlock == 0 ? kWeightBlock : outputs;
    Halide::Buffer<float> buffer({block, extents[0], extents[1], extents[2], outputs / block},
                                 name + suffix::data);
    std::size_t i = 0;
    for (int co = 0; co < outputs; ++co)
      for (int ci = 0; ci < extents[2]; ++ci)
        for (int ky = 0; ky < extents[1]; ++ky)
          for (int kx = 0; kx < extents[0]; ++kx) buffer(co % block, kx, ky, ci, co / block) = tensor.data[i++];
    func(vars) = buffer(at[3] % block, at[0], at[1], at[2], at[3] / block);
  } else if (weights) {
    const WeightTensor &tensor = weights->at(parameter.name);
    Halide::Buffer<float> buffer(extents, name + suffix::data);
    std::memcpy(buffer.data(), tensor.data.data(), tensor.data.size() * sizeof(float));
    func(vars) = buffer(at);
  } else {
    Halide::ImageParam param(Halide::Float(32), static_cast<int>(extents.size()), name);
    constrain(param, extents);
    func(vars) = param(at);
    arguments.push_back({param, parameter, &node});
  }
  return func;
}

/// The Funcs of `node`'s parameters `params` (its own, or with a batch norm folded in), by role.
LayerWeights layer_weights(const Node &node, const std::vector<Parameter> &params,
                           const TensorFile *weights, std::vector<WeightArgument> &arguments) {
  LayerWeights out;
  for (const Parameter &parameter : params) {
    Halide::Func func = parameter_func(parameter, weights, node, arguments);
    switch (parameter.role) {
      case ParameterRole::weight: out.weight = func; break;
      case ParameterRole::bias: out.bias = func; break;
      case ParameterRole::running_mean: out.running_mean = func; break;
      case ParameterRole::running_var: out.running_var = func; break;
    }
  }
  return out;
}

/// Folds batch norm `norm_node` into `producer` (a conv2d or linear whose output it alone reads),
/// in double precision: per output channel, factor = γ/√(var + eps), w' = w·factor and
/// b' = (b − mean)·factor + β. Writes the folded tensors into `folded` under the producer's
/// parameter names and returns its parameters, with a bias added when it declares none.
std::vector<Parameter> fold_batch_norm(const Node &producer, const Node &norm_node,
                                       const TensorFile &weights, TensorFile &folded) {
  const double eps = std::get<BatchNorm>(norm_node.op).eps;
  const WeightTensor *gamma = nullptr, *beta = nullptr, *mean = nullptr, *var = nullptr;
  for (const Parameter &parameter : parameters(norm_node)) {
    const WeightTensor *tensor = &weights.at(parameter.name);
    switch (parameter.role) {
      case ParameterRole::weight: gamma = tensor; break;
      case ParameterRole::bias: beta = tensor; break;
      case ParameterRole::running_mean: mean = tensor; break;
      case ParameterRole::running_var: var = tensor; break;
    }
  }
  std::vector<Parameter> params = parameters(producer);
  const Parameter *weight = nullptr, *bias = nullptr;
  for (const Parameter &parameter : params) {
    if (parameter.role == ParameterRole::weight) weight = &parameter;
    if (parameter.role == ParameterRole::bias) bias = &parameter;
  }
  if (!weight || !mean || !var) {
    throw std::logic_error("batch norm '" + norm_node.path + "' folded into a layer without weights");
  }
  const WeightTensor &w = weights.at(weight->name);
  const WeightTensor *b = bias ? &weights.at(bias->name) : nullptr;
  const std::int64_t channels = weight->shape[0];
  const std::size_t per_channel = w.data.size() / static_cast<std::size_t>(channels);
  WeightTensor folded_weight{w.shape, std::vector<float>(w.data.size())};
  WeightTensor folded_bias{{channels}, std::vector<float>(static_cast<std::size_t>(channels))};
  for (std::size_t c = 0; c < static_cast<std::size_t>(channels); ++c) {
    const double factor =
        (gamma ? static_cast<double>(gamma->data[c]) : 1.0) / std::sqrt(static_cast<double>(var->data[c]) + eps);
    for (std::size_t i = c * per_channel; i < (c + 1) * per_channel; ++i) {
      folded_weight.data[i] = static_cast<float>(static_cast<double>(w.data[i]) * factor);
    }
    const double shifted = (b ? static_cast<double>(b->data[c]) : 0.0) - static_cast<double>(mean->data[c]);
    folded_bias.data[c] = static_cast<float>(shifted * factor + (beta ? static_cast<double>(beta->data[c]) : 0.0));
  }
  const std::string weight_name = weight->name;
  const std::string bias_name = bias ? bias->name : parameter_prefix(producer) + ".bias";
  if (!bias) params.push_back({bias_name, {channels}, ParameterRole::bias});
  folded[weight_name] = std::move(folded_weight);
  folded[bias_name] = std::move(folded_bias);
  return params;
}

}  // namespace

std::vector<int> halide_extents(const Shape &shape) {
  std::vector<int> extents;
  for (auto it = shape.rbegin(); it != shape.rend(); ++it) extents.push_back(static_cast<int>(*it));
  return extents;
}

std::vector<Halide::Argument> LoweredNetwork::arguments() const {
  std::vector<Halide::Argument> args{input};
  for (const WeightArgument &w : weight_arguments) args.push_back(w.param);
  return args;
}

namespace {

/// Lowers one node into `layer` (whose node, weights and inputs are set): one overload per
/// operation, so that a kind without one fails to compile.
struct NodeLowering {
  const std::vector<Value> &in;
  const std::string &name;
  LoweredLayer &layer;
  bool concat_slices;

  void operator()(const Conv2d &conv) const {
    if (layer.weights.winograd) {
      layer.winograd.emplace();
      layer.func = lower_conv2d_winograd(conv, in[0], *layer.weights.winograd, layer.weights.bias, name,
                                         *layer.winograd);
      return;
    }
    layer.func = lower_conv2d(conv, in[0], layer.weights, name, layer.padded);
  }
  void operator()(const Pool2d &pool) const { layer.func = lower_pool2d(pool, in[0], name); }
  void operator()(const AdaptivePool2d &pool) const {
    layer.func = lower_adaptive_pool2d(pool, in[0], name);
  }
  void operator()(const BatchNorm &norm) const {
    if (layer.folded_into) return;  // the conv2d or linear before it computes its output
    layer.func = lower_batch_norm(norm, in[0], layer.weights, name, layer.per_channel);
  }
  void operator()(const Activation &activation) const {
    layer.func = lower_activation(activation, in[0], name);
  }
  void operator()(const Softmax &) const { layer.func = lower_softmax(in[0], name, layer.internals); }
  void operator()(const Flatten &) const { layer.func = lower_flatten(in[0], name); }
  void operator()(const Linear &linear) const {
    layer.func = lower_linear(linear, in[0], layer.weights, name);
  }
  void operator()(const Dropout &) const {}   // the identity at inference: no Func
  void operator()(const Identity &) const {}  // no Func
  void operator()(const Add &) const { layer.func = lower_add(in, name); }
  void operator()(const Concat &) const { layer.func = lower_concat(in, name, concat_slices); }
};

/// The layers of `network` as Funcs named symbol_name(node) + `suffix`, reading `input` and the
/// weights lowered once for all copies; returns them and sets `output` to the last tensor's Func.
/// `folds` maps each folded batch norm to the layer it is folded into; `concat_slices` as in
/// LowerOptions.
std::vector<LoweredLayer> lower_nodes(const Network &network, const Halide::Func &input,
                                      const std::map<const Node *, LayerWeights> &weights,
                                      const std::map<const Node *, const Node *> &folds,
                                      bool embedded, const std::string &suffix, bool concat_slices,
                                      Halide::Func &output) {
  std::map<const Node *, const Node *> folded_into_producer;  // conv2d or linear → its batch norm
  for (const auto &[norm, producer] : folds) folded_into_producer[producer] = norm;
  std::map<int, Value> values;  // tensor index → its Func
  values[network.input] = {input, network.tensors[static_cast<std::size_t>(network.input)].shape};
  std::vector<LoweredLayer> layers;
  for (const Node &node : network.nodes) {
    std::vector<Value> in;
    for (int tensor : node.inputs) in.push_back(values.at(tensor));
    LoweredLayer layer;
    layer.node = &node;
    layer.input = in.at(0).func;
    layer.weights_embedded = embedded;
    for (const Value &value : in) layer.inputs.push_back(value.func);
    if (auto found = weights.find(&node); found != weights.end()) layer.weights = found->second;
    if (auto found = folds.find(&node); found != folds.end()) layer.folded_into = found->second;
    if (auto found = folded_into_producer.find(&node); found != folded_into_producer.end())
      layer.folded_batch_norm = found->second;
    const std::string name = symbol_name(node) + suffix;
    visit_operation(node.op, NodeLowering{in, name, layer, concat_slices});
    values[node.output] = {layer.func.defined() ? layer.func : in[0].func,
                           network.tensors[static_cast<std::size_t>(node.output)].shape};
    layers.push_back(std::move(layer));
  }
  output = values.at(network.output).func;
  return layers;
}

}  // namespace

void constrain(Halide::OutputImageParam param, const std::vector<int> &extents) {
  Halide::Expr stride = 1;
  for (std::size_t i = 0; i < extents.size(); ++i) {
    param.dim(static_cast<int>(i)).set_bounds(0, extents[i]);
    param.dim(static_cast<int>(i)).set_stride(stride);
    stride = stride * extents[i];
  }
}

std::map<const Node *, const Node *> foldable_batch_norms(const Network &network) {
  std::vector<int> readers(network.tensors.size(), 0);
  for (const Node &node : network.nodes) {
    for (int tensor : node.inputs) ++readers[static_cast<std::size_t>(tensor)];
  }
  ++readers[static_cast<std::size_t>(network.output)];
  std::map<const Node *, const Node *> folds;
  for (const Node &node : network.nodes) {
    if (!std::holds_alternative<BatchNorm>(node.op)) continue;
    const int tensor = node.inputs.at(0);
    const int producer = network.tensors[static_cast<std::size_t>(tensor)].producer;
    if (producer < 0 || readers[static_cast<std::size_t>(tensor)] != 1) continue;
    const Node &layer = network.nodes[static_cast<std::size_t>(producer)];
    if (is_head(layer.op)) folds[&node] = &layer;
  }
  return folds;
}

LoweredNetwork lower(const Network &network, const TensorFile *weights,
                     const std::string &function_name, int batch_vector, const LowerOptions &options) {
  LoweredNetwork lowered;
  ModelNames names(network);
  const Shape &input_shape = network.tensors[static_cast<std::size_t>(network.input)].shape;
  lowered.input = Halide::ImageParam(Halide::Float(32), static_cast<int>(input_shape.size()) + 1,
                                     names.take("input"));
  std::vector<int> input_extents = halide_extents(input_shape);
  constrain(lowered.input, input_extents);
  lowered.input.dim(static_cast<int>(input_extents.size())).set_min(0);

  // Funcs over named Vars (x, y, c, n or f, n), not the ImageParam's implicit ones, so that layers
  // can reuse their input's Vars.
  std::vector<Halide::Var> vars;
  if (input_shape.size() == 3) vars = {Halide::Var("x"), Halide::Var("y"), Halide::Var("c"), Halide::Var("n")};
  else vars = {Halide::Var("f"), Halide::Var("n")};
  Halide::Func input(names.take("input_values"));
  input(vars) = lowered.input(std::vector<Halide::Expr>(vars.begin(), vars.end()));

  // Folding needs the weights' values; with weights as arguments every batch norm stays.
  std::map<const Node *, const Node *> folds;
  lowered.options = options;
  if (weights && options.fold_batch_norm) folds = foldable_batch_norms(network);
  std::map<const Node *, const Node *> producers;  // conv2d or linear → the batch norm folded in
  for (const auto &[norm, producer] : folds) producers[producer] = norm;
  TensorFile folded;
  std::map<const Node *, LayerWeights> layer_params;
  for (const Node &node : network.nodes) {
    if (folds.count(&node)) continue;  // its parameters live on in the producer's
    std::vector<Parameter> params = parameters(node);
    const TensorFile *file = weights;
    if (auto found = producers.find(&node); found != producers.end()) {
      params = fold_batch_norm(node, *found->second, *weights, folded);
      file = &folded;
    }
    if (params.empty()) continue;
    LayerWeights &lw = layer_params[&node] = layer_weights(node, params, file, lowered.weight_arguments);
    const Conv2d *conv = std::get_if<Conv2d>(&node.op);
    const Shape &output = network.tensors[static_cast<std::size_t>(node.output)].shape;
    const bool may_winograd = conv && file && batch_vector == 0;
    const int tile = may_winograd ? winograd_tile(*conv, output, options.conv) : 0;
    if (tile > 0) {
      const Parameter &weight = params.front();  // weight before bias
      lw.winograd =
          winograd_weights(file->at(weight.name), parameter_symbol(node, weight) + suffix::winograd, tile);
    }
  }
  Halide::Func last;
  lowered.layers = lower_nodes(network, input, layer_params, folds, weights != nullptr, "",
                               options.concat_slices, last);
  std::vector<Halide::Var> args = last.args();
  std::vector<Halide::Expr> at(args.begin(), args.end());
  Halide::Expr value = last(at);
  if (options.output_values) {
    lowered.output_values = Halide::Func(names.take(function_name + "_output_values"));
    (*lowered.output_values)(args) = value;
    value = (*lowered.output_values)(at);
  }
  if (batch_vector > 0) {
    Halide::Func batched_input(names.take("input_values" + std::string(kBatchedSuffix)));
    batched_input(vars) = lowered.input(std::vector<Halide::Expr>(vars.begin(), vars.end()));
    Halide::Func batched_last;
    lowered.batched_layers = lower_nodes(network, batched_input, layer_params, folds,
                                         weights != nullptr, kBatchedSuffix, false, batched_last);
    lowered.batched_input = batched_input;
    lowered.batch_vector = batch_vector;
    lowered.batched_condition = lowered.input.dim(static_cast<int>(input_extents.size())).extent() >= batch_vector;
    value = Halide::select(lowered.batched_condition, batched_last(at), value);
  }
  lowered.output = Halide::Func(names.take(function_name + "_output"));
  lowered.output(args) = value;
  std::vector<int> output_extents =
      halide_extents(network.tensors[static_cast<std::size_t>(network.output)].shape);
  constrain(lowered.output.output_buffer(), output_extents);
  lowered.output.output_buffer().dim(static_cast<int>(output_extents.size())).set_min(0);
  return lowered;
}

}  // namespace cnngen
