// The graph walk of lowering: binds the input and the weights, then lowers node by node.
#include "codegen/lower.hpp"

#include <cstring>
#include <map>

#include "codegen/lower_layers.hpp"

namespace cnngen {
namespace {

constexpr int kLinearWeightBlock = 16;

/// Constrains `param` to exactly `extents` (innermost first), dense, starting at 0.
void constrain(Halide::OutputImageParam param, const std::vector<int> &extents) {
  Halide::Expr stride = 1;
  for (std::size_t i = 0; i < extents.size(); ++i) {
    param.dim(static_cast<int>(i)).set_bounds(0, extents[i]);
    param.dim(static_cast<int>(i)).set_stride(stride);
    stride = stride * extents[i];
  }
}

/// A Func reading a parameter in PyTorch's layout, reversed into Halide's dimension order.
Halide::Func parameter_func(const Parameter &parameter, const TensorFile *weights,
                            const Node &node, std::vector<WeightArgument> &arguments) {
  std::vector<int> extents(parameter.shape.rbegin(), parameter.shape.rend());
  std::string name = symbol_name(node) + "_" + parameter.name.substr(parameter.name.rfind('.') + 1);
  std::vector<Halide::Var> vars(extents.size());
  std::vector<Halide::Expr> at(vars.begin(), vars.end());
  // With weights as arguments the ImageParam takes `name` (it names the C argument) and this Func,
  // which the schedule may repack, another.
  Halide::Func func(weights ? name : name + "_packed");
  if (weights && std::holds_alternative<Linear>(node.op) && extents.size() == 2) {
    // Packed at compile time with the output feature innermost, so that the schedule can
    // vectorize a linear layer across its outputs with dense loads.
    const WeightTensor &tensor = weights->at(parameter.name);
    const int outputs = extents[1], inputs = extents[0];
    if (outputs % kLinearWeightBlock == 0) {
      // In blocks of 16 outputs (one cache line), each block's weights contiguous for all inputs:
      // a tile of outputs then streams a few sequential runs instead of touching one page per
      // input (AlexNet's and VGG-11's first linear layers read 105 and 411 MB per call).
      Halide::Buffer<float> buffer(kLinearWeightBlock, inputs, outputs / kLinearWeightBlock, name + "_data");
      for (int o = 0; o < outputs; ++o) {
        for (int i = 0; i < inputs; ++i) {
          buffer(o % kLinearWeightBlock, i, o / kLinearWeightBlock) =
              tensor.data[static_cast<std::size_t>(o) * inputs + i];
        }
      }
      func(vars) = buffer(at[1] % kLinearWeightBlock, at[0], at[1] / kLinearWeightBlock);
    } else {
      Halide::Buffer<float> buffer(outputs, inputs, name + "_data");
      for (int o = 0; o < outputs; ++o) {
        for (int i = 0; i < inputs; ++i) buffer(o, i) = tensor.data[static_cast<std::size_t>(o) * inputs + i];
      }
      func(vars) = buffer(at[1], at[0]);
    }
  } else if (weights && std::holds_alternative<Conv2d>(node.op) && extents.size() == 4) {
    // Packed at compile time with the output channel innermost (co, kx, ky, ci), so that the
    // schedule can vectorize a convolution across its output channels with dense loads.
    const WeightTensor &tensor = weights->at(parameter.name);
    Halide::Buffer<float> buffer({extents[3], extents[0], extents[1], extents[2]}, name + "_data");
    std::size_t i = 0;
    for (int co = 0; co < extents[3]; ++co)
      for (int ci = 0; ci < extents[2]; ++ci)
        for (int ky = 0; ky < extents[1]; ++ky)
          for (int kx = 0; kx < extents[0]; ++kx) buffer(co, kx, ky, ci) = tensor.data[i++];
    func(vars) = buffer(at[3], at[0], at[1], at[2]);
  } else if (weights) {
    const WeightTensor &tensor = weights->at(parameter.name);
    Halide::Buffer<float> buffer(extents, name + "_data");
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

LayerWeights layer_weights(const Node &node, const TensorFile *weights,
                           std::vector<WeightArgument> &arguments) {
  LayerWeights out;
  for (const Parameter &parameter : parameters(node)) {
    Halide::Func func = parameter_func(parameter, weights, node, arguments);
    if (parameter.shape.size() == 1) out.bias = func;
    else out.weight = func;
  }
  return out;
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

/// The layers of `network` as Funcs named symbol_name(node) + `suffix`, reading `input` and the
/// weights lowered once for all copies; returns them and sets `output` to the last tensor's Func.
std::vector<LoweredLayer> lower_nodes(const Network &network, const Halide::Func &input,
                                      const std::map<const Node *, LayerWeights> &weights,
                                      bool embedded, const std::string &suffix,
                                      Halide::Func &output) {
  std::map<int, Value> values;  // tensor index → its Func
  values[network.input] = {input, network.tensors[static_cast<std::size_t>(network.input)].shape};
  std::vector<LoweredLayer> layers;
  for (const Node &node : network.nodes) {
    const Value &in = values.at(node.inputs.at(0));
    const Shape &shape = network.tensors[static_cast<std::size_t>(node.output)].shape;
    std::string name = symbol_name(node) + suffix;
    Halide::Func func;
    std::vector<Halide::Func> internals;
    LayerWeights layer_params;
    if (auto found = weights.find(&node); found != weights.end()) layer_params = found->second;
    std::optional<Halide::Func> padded;
    if (const auto *conv = std::get_if<Conv2d>(&node.op)) {
      func = lower_conv2d(*conv, in, layer_params, name, padded);
    } else if (const auto *pool = std::get_if<Pool2d>(&node.op)) {
      func = lower_pool2d(*pool, in, name);
    } else if (const auto *activation = std::get_if<Activation>(&node.op)) {
      func = lower_activation(*activation, in, name);
    } else if (std::holds_alternative<Softmax>(node.op)) {
      func = lower_softmax(in, name, internals);
    } else if (std::holds_alternative<Flatten>(node.op)) {
      func = lower_flatten(in, name);
    } else if (const auto *linear = std::get_if<Linear>(&node.op)) {
      func = lower_linear(*linear, in, layer_params, name);
    }
    layers.push_back({&node, func, in.func, internals, padded, layer_params, embedded});
    values[node.output] = {func.defined() ? func : in.func, shape};
  }
  output = values.at(network.output).func;
  return layers;
}

}  // namespace

LoweredNetwork lower(const Network &network, const TensorFile *weights,
                     const std::string &function_name, int batch_vector) {
  LoweredNetwork lowered;
  const Shape &input_shape = network.tensors[static_cast<std::size_t>(network.input)].shape;
  lowered.input = Halide::ImageParam(Halide::Float(32), static_cast<int>(input_shape.size()) + 1,
                                     "input");
  std::vector<int> input_extents = halide_extents(input_shape);
  constrain(lowered.input, input_extents);
  lowered.input.dim(static_cast<int>(input_extents.size())).set_min(0);

  // Funcs over named Vars (x, y, c, n or f, n), not the ImageParam's implicit ones, so that layers
  // can reuse their input's Vars.
  std::vector<Halide::Var> vars;
  if (input_shape.size() == 3) vars = {Halide::Var("x"), Halide::Var("y"), Halide::Var("c"), Halide::Var("n")};
  else vars = {Halide::Var("f"), Halide::Var("n")};
  Halide::Func input("input_values");
  input(vars) = lowered.input(std::vector<Halide::Expr>(vars.begin(), vars.end()));

  std::map<const Node *, LayerWeights> layer_params;
  for (const Node &node : network.nodes) {
    if (std::holds_alternative<Conv2d>(node.op) || std::holds_alternative<Linear>(node.op))
      layer_params[&node] = layer_weights(node, weights, lowered.weight_arguments);
  }
  Halide::Func last;
  lowered.layers = lower_nodes(network, input, layer_params, weights != nullptr, "", last);
  std::vector<Halide::Var> args = last.args();
  std::vector<Halide::Expr> at(args.begin(), args.end());
  Halide::Expr value = last(at);
  if (batch_vector > 0) {
    Halide::Func batched_input("input_values" + std::string(kBatchedSuffix));
    batched_input(vars) = lowered.input(std::vector<Halide::Expr>(vars.begin(), vars.end()));
    Halide::Func batched_last;
    lowered.batched_layers =
        lower_nodes(network, batched_input, layer_params, weights != nullptr, kBatchedSuffix, batched_last);
    lowered.batched_input = batched_input;
    lowered.batch_vector = batch_vector;
    lowered.batched_condition = lowered.input.dim(static_cast<int>(input_extents.size())).extent() >= batch_vector;
    value = Halide::select(lowered.batched_condition, batched_last(at), value);
  }
  lowered.output = Halide::Func(function_name + "_output");
  lowered.output(args) = value;
  std::vector<int> output_extents =
      halide_extents(network.tensors[static_cast<std::size_t>(network.output)].shape);
  constrain(lowered.output.output_buffer(), output_extents);
  lowered.output.output_buffer().dim(static_cast<int>(output_extents.size())).set_min(0);
  return lowered;
}

}  // namespace cnngen
