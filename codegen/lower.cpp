// The graph walk of lowering: binds the input and the weights, then lowers node by node.
#include "codegen/lower.hpp"

#include <cmath>
#include <cstring>
#include <map>
#include <stdexcept>

#include "codegen/integer_arithmetic.hpp"
#include "codegen/lower_layers.hpp"
#include "dsl/symbols.hpp"

namespace cnngen {
namespace {

/// Output channels or features per block of packed weights: one cache line of floats.
constexpr int kWeightBlock = 16;

/// A Func reading a parameter in PyTorch's layout, reversed into Halide's dimension order.
Halide::Func parameter_func(const Parameter &parameter, const TensorFile *weights,
                            const Node &node, std::vector<WeightArgument> &arguments) {
  std::vector<int> extents(parameter.shape.rbegin(), parameter.shape.rend());
  // A linear over channels computed as a 1×1 convolution (Conv2d::linear_weight): its out×in
  // weight is the convolution's out×in×1×1, the same values in the same order.
  const Conv2d *conv_op = std::get_if<Conv2d>(&node.op);
  const bool linear_weight = conv_op && conv_op->linear_weight && extents.size() == 2;
  const std::vector<int> argument_extents = extents;
  if (linear_weight) extents = {1, 1, extents[0], extents[1]};
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
      // Unblocked, exactly `outputs` wide: the schedule guards the last vector of each tile's sums
      // (schedule_linear.cpp), so no read goes past the last output.
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
    //
    // Where the output channels are not a whole number of blocks the last block is padded with
    // zeros: a convolution whose sums over every channel are vectorized rounds its channels up to
    // whole vectors (25 channels to 32 with AVX2's 2-vector tile summed in slices of input
    // channels), and those sums, never stored, must read weights inside the buffer (found by
    // tools/difftest.py: tests/differential/ragged_channels_in_slices).
    const WeightTensor &tensor = weights->at(parameter.name);
    const int outputs = extents[3];
    const int blocks = ceil_div(outputs, kWeightBlock);
    Halide::Buffer<float> buffer({kWeightBlock, extents[0], extents[1], extents[2], blocks}, name + suffix::data);
    buffer.fill(0.0f);
    std::size_t i = 0;
    for (int co = 0; co < outputs; ++co)
      for (int ci = 0; ci < extents[2]; ++ci)
        for (int ky = 0; ky < extents[1]; ++ky)
          for (int kx = 0; kx < extents[0]; ++kx)
            buffer(co % kWeightBlock, kx, ky, ci, co / kWeightBlock) = tensor.data[i++];
    func(vars) = buffer(at[3] % kWeightBlock, at[0], at[1], at[2], at[3] / kWeightBlock);
  } else if (weights) {
    const WeightTensor &tensor = weights->at(parameter.name);
    Halide::Buffer<float> buffer(extents, name + suffix::data);
    std::memcpy(buffer.data(), tensor.data.data(), tensor.data.size() * sizeof(float));
    func(vars) = buffer(at);
  } else {
    Halide::ImageParam param(Halide::Float(32), static_cast<int>(argument_extents.size()), name);
    constrain(param, argument_extents);
    func(vars) = linear_weight ? param(at[2], at[3]) : param(at);
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

/// Lowers one node into `layer` (whose node and inputs are set): one overload per operation, so
/// that a kind without one fails to compile.
struct NodeLowering {
  const std::vector<Value> &in;
  const Shape &out_shape;
  const std::string &name;
  const LayerWeights *weights;  // conv2d, linear and an unfolded batch norm: their weights
  bool folded;                  // a batch norm folded into the layer before it
  bool concat_slices;           // a concatenation: one update per input (plan.hpp, in_slices)
  bool clamp_rows;              // a conv2d: its input's rows read clamped (plan.hpp, strip_reader)
  LoweredLayer &layer;

  void operator()(const Conv2d &conv) const {
    ConvStages stages{*weights, std::nullopt, std::nullopt};
    if (weights->winograd) {
      stages.winograd.emplace();
      layer.func = lower_conv2d_winograd(conv, in[0], *weights->winograd, weights->bias, name, *stages.winograd);
    } else {
      layer.func = lower_conv2d(conv, in[0], *weights, name, stages.padded, clamp_rows);
    }
    layer.stages = std::move(stages);
  }
  void operator()(const Pool2d &pool) const { layer.func = lower_pool2d(pool, in[0], name); }
  void operator()(const AdaptivePool2d &pool) const {
    layer.func = lower_adaptive_pool2d(pool, in[0], name);
  }
  void operator()(const BatchNorm &norm) const {
    if (folded) return;  // the conv2d or linear before it computes its output
    std::vector<Halide::Func> per_channel;
    layer.func = lower_batch_norm(norm, in[0], *weights, name, per_channel);
    layer.stages = BatchNormStages{*weights, per_channel.at(0), per_channel.at(1)};
  }
  void operator()(const Activation &activation) const {
    layer.func = lower_activation(activation, in[0], name);
  }
  void operator()(const Softmax &) const {
    std::vector<Halide::Func> internals;
    layer.func = lower_softmax(in[0], name, internals);
    layer.stages = SoftmaxStages{internals.at(0), internals.at(1), internals.at(2)};
  }
  void operator()(const Flatten &) const { layer.func = lower_flatten(in[0], name); }
  void operator()(const Linear &linear) const {
    layer.func = lower_linear(linear, in[0], *weights, name);
    layer.stages = LinearStages{*weights};
  }
  void operator()(const Dropout &) const {}   // the identity at inference: no Func
  void operator()(const Identity &) const {}  // no Func
  void operator()(const Add &) const { layer.func = lower_add(in, name); }
  void operator()(const Mul &) const { layer.func = lower_mul(in, out_shape, name); }
  void operator()(const ChannelSlice &slice) const { layer.func = lower_channel_slice(slice, in[0], name); }
  void operator()(const ChannelShuffle &shuffle) const { layer.func = lower_channel_shuffle(shuffle, in[0], name); }
  void operator()(const LayerNorm &norm) const {
    std::vector<Halide::Func> internals;
    layer.func = lower_layer_norm(norm, in[0], weights, name, internals);
    layer.stages = LayerNormStages{internals.at(0), internals.at(1)};
  }
  void operator()(const Permute &) const {}  // the data stay where they are: no Func
  void operator()(const ParameterTensor &) const { layer.func = lower_parameter(in[0], out_shape, *weights, name); }
  void operator()(const Concat &) const { layer.func = lower_concat(in, name, concat_slices); }
  void operator()(const Pad2d &pad) const { layer.func = lower_pad2d(pad, in[0], name); }
};

/// The layers of `network` as Funcs named symbol_name(node) + `suffix`, reading `input` and the
/// weights lowered once for all copies; returns them and sets `output` to the last tensor's Func.
/// `in_place`: concatenations take the form the plan gives them (in_slices) and expansions read
/// their input's rows clamped (strip_reader); else every concatenation selects the input holding
/// each channel (the batch-vectorized copy, which the per-image schedule's strips never reach).
std::vector<LoweredLayer> lower_nodes(const Network &network, const SchedulePlan &plan, const Halide::Func &input,
                                      const std::map<const Node *, LayerWeights> &weights, bool embedded,
                                      const std::string &suffix, bool in_place, Halide::Func &output) {
  std::map<int, Value> values;  // tensor index → its Func
  values[network.input] = {input, network.tensors[static_cast<std::size_t>(network.input)].shape};
  std::vector<LoweredLayer> layers;
  for (std::size_t i = 0; i < network.nodes.size(); ++i) {
    const Node &node = network.nodes[i];
    std::vector<Value> in;
    for (int tensor : node.inputs) in.push_back(values.at(tensor));
    LoweredLayer layer;
    layer.node = &node;
    layer.input = in.at(0).func;
    layer.weights_embedded = embedded;
    for (const Value &value : in) layer.inputs.push_back(value.func);
    const auto found = weights.find(&node);
    const LayerWeights *node_weights = found != weights.end() ? &found->second : nullptr;
    const std::string name = symbol_name(node) + suffix;
    const Shape &out_shape = network.tensors[static_cast<std::size_t>(node.output)].shape;
    visit_operation(node.op, NodeLowering{in, out_shape, name, node_weights, plan[i].folded_into >= 0,
                                          in_place && plan[i].in_slices, in_place && plan[i].strip_reader >= 0, layer});
    values[node.output] = {layer.func.defined() ? layer.func : in[0].func, out_shape};
    layers.push_back(std::move(layer));
  }
  output = values.at(network.output).func;
  return layers;
}

template <class Stages>
const Stages &stages_of(const LoweredLayer &layer, const char *kind) {
  const auto *stages = std::get_if<Stages>(&layer.stages);
  if (!stages) throw std::logic_error(describe(*layer.node) + " has no " + kind + " stages");
  return *stages;
}

}  // namespace

const ConvStages &LoweredLayer::conv() const { return stages_of<ConvStages>(*this, "convolution"); }

const LinearStages &LoweredLayer::linear() const { return stages_of<LinearStages>(*this, "linear"); }

const LayerWeights &LoweredLayer::head_weights() const {
  if (const auto *linear_stages = std::get_if<LinearStages>(&stages)) return linear_stages->weights;
  return conv().weights;
}

std::vector<Halide::Func> LoweredLayer::per_channel() const {
  if (const auto *norm = std::get_if<BatchNormStages>(&stages)) return {norm->scale, norm->shift};
  return {};
}

std::vector<Halide::Func> LoweredLayer::internals() const {
  if (const auto *softmax = std::get_if<SoftmaxStages>(&stages)) return {softmax->max, softmax->exp, softmax->sum};
  if (const auto *norm = std::get_if<LayerNormStages>(&stages)) return {norm->mean, norm->inverse_std};
  return {};
}

void constrain(Halide::OutputImageParam param, const std::vector<int> &extents, bool channels_innermost) {
  std::vector<int> order(extents.size());  // the dimensions from the innermost in memory
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  if (channels_innermost && extents.size() == 3) order = {2, 0, 1};
  Halide::Expr stride = 1;
  for (int d : order) {
    param.dim(d).set_bounds(0, extents[static_cast<std::size_t>(d)]);
    param.dim(d).set_stride(stride);
    stride = stride * extents[static_cast<std::size_t>(d)];
  }
}

LoweredNetwork lower(const Network &network, const SchedulePlan &plan, const TensorFile *weights,
                     const std::string &function_name, int batch_vector, ConvAlgorithm conv,
                     const BoundaryLayout &layout) {
  LoweredNetwork lowered;
  lowered.plan = plan;
  lowered.layout = layout;
  ModelNames names(network);
  const Shape &input_shape = network.tensors[static_cast<std::size_t>(network.input)].shape;
  lowered.input = Halide::ImageParam(Halide::Float(32), static_cast<int>(input_shape.size()) + 1,
                                     names.take("input"));
  std::vector<int> input_extents = halide_extents(input_shape);
  constrain(lowered.input, input_extents, layout.input_channels_innermost);
  lowered.input.dim(static_cast<int>(input_extents.size())).set_min(0);

  // Funcs over named Vars (x, y, c, n or f, n), not the ImageParam's implicit ones, so that layers
  // can reuse their input's Vars.
  std::vector<Halide::Var> vars;
  if (input_shape.size() == 3) vars = {Halide::Var("x"), Halide::Var("y"), Halide::Var("c"), Halide::Var("n")};
  else vars = {Halide::Var("f"), Halide::Var("n")};
  Halide::Func input(names.take("input_values"));
  input(vars) = lowered.input(std::vector<Halide::Expr>(vars.begin(), vars.end()));

  TensorFile folded;
  std::map<const Node *, LayerWeights> layer_params;
  for (std::size_t i = 0; i < network.nodes.size(); ++i) {
    const Node &node = network.nodes[i];
    if (plan[i].folded_into >= 0) continue;  // its parameters live on in the producer's
    std::vector<Parameter> params = parameters(node);
    const TensorFile *file = weights;
    if (const int norm = plan[i].folded_norm; norm >= 0) {
      params = fold_batch_norm(node, network.nodes[static_cast<std::size_t>(norm)], *weights, folded);
      file = &folded;
    }
    if (params.empty()) continue;
    LayerWeights &lw = layer_params[&node] = layer_weights(node, params, file, lowered.weight_arguments);
    const Conv2d *conv_op = std::get_if<Conv2d>(&node.op);
    const Shape &output = network.tensors[static_cast<std::size_t>(node.output)].shape;
    const bool may_winograd = conv_op && file && batch_vector == 0;
    const int tile = may_winograd ? winograd_tile(*conv_op, output, conv) : 0;
    if (tile > 0) {
      const Parameter &weight = params.front();  // weight before bias
      lw.winograd =
          winograd_weights(file->at(weight.name), parameter_symbol(node, weight) + suffix::winograd, tile);
    }
  }
  Halide::Func last;
  lowered.layers = lower_nodes(network, plan, input, layer_params, weights != nullptr, "", true, last);
  std::vector<Halide::Var> args = last.args();
  std::vector<Halide::Expr> at(args.begin(), args.end());
  Halide::Expr value = last(at);
  if (plan.stage_output) {
    lowered.output_values = Halide::Func(names.take(function_name + "_output_values"));
    (*lowered.output_values)(args) = value;
    value = (*lowered.output_values)(at);
  }
  if (batch_vector > 0) {
    Halide::Func batched_input(names.take("input_values" + std::string(kBatchedSuffix)));
    batched_input(vars) = lowered.input(std::vector<Halide::Expr>(vars.begin(), vars.end()));
    Halide::Func batched_last;
    lowered.batched_layers = lower_nodes(network, plan, batched_input, layer_params, weights != nullptr,
                                         kBatchedSuffix, false, batched_last);
    lowered.batched_input = batched_input;
    lowered.batch_vector = batch_vector;
    lowered.batched_condition = lowered.input.dim(static_cast<int>(input_extents.size())).extent() >= batch_vector;
    value = Halide::select(lowered.batched_condition, batched_last(at), value);
  }
  lowered.output = Halide::Func(names.take(function_name + "_output"));
  lowered.output(args) = value;
  std::vector<int> output_extents =
      halide_extents(network.tensors[static_cast<std::size_t>(network.output)].shape);
  constrain(lowered.output.output_buffer(), output_extents, layout.output_channels_innermost);
  lowered.output.output_buffer().dim(static_cast<int>(output_extents.size())).set_min(0);
  return lowered;
}

}  // namespace cnngen
