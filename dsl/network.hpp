// The checked IR: a graph of tensors whose shapes are known, produced by infer_shapes() and
// consumed by code generation. Knows nothing of Spirit or Halide.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "dsl/source.hpp"

namespace cnngen {

/// The shape of one image's tensor, outermost first as PyTorch writes it: {C, H, W} or {F}.
/// The batch dimension is not part of it: the batch size is chosen at run time.
using Shape = std::vector<std::int64_t>;

/// A per-dimension size given as (h, w).
struct Pair {
  std::int64_t h = 0;
  std::int64_t w = 0;
};

struct Conv2d {
  std::int64_t in_channels = 0;
  std::int64_t out_channels = 0;
  Pair kernel, stride, padding, dilation;
  std::int64_t groups = 1;
  bool bias = true;
  /// A `linear` over the channels of each pixel of a channels-last tensor (ConvNeXt's pointwise
  /// layers): computed as this 1×1 convolution, its weight named and shaped as nn.Linear's, out×in.
  bool linear_weight = false;
};

enum class PoolKind { max, average };

/// Average pooling divides by the whole window, padded zeros included (PyTorch's default,
/// count_include_pad); without count_include_pad by the taps inside the input. With ceil_mode the
/// output size rounds up, PyTorch's rule: the last window must start inside the input or its left
/// padding; average windows then divide by the part of the window that lies inside the padded
/// input. Max pooling may be dilated (nn.MaxPool2d's dilation: taps d apart).
struct Pool2d {
  PoolKind kind = PoolKind::max;
  Pair kernel, stride, padding;
  bool ceil_mode = false;
  Pair dilation{1, 1};            // max pooling only
  bool count_include_pad = true;  // average pooling only
};

/// PyTorch's adaptive pooling to a fixed H×W output: window i along an axis of n inputs spans
/// [⌊i·n/out⌋, ⌈(i+1)·n/out⌉). An output of 1×1 is global pooling.
struct AdaptivePool2d {
  PoolKind kind = PoolKind::average;
  Pair output;
};

/// Batch normalization at inference: (x − running_mean) / √(running_var + eps) · weight + bias, per
/// channel (batchnorm2d on C×H×W) or per feature (batchnorm1d on F).
struct BatchNorm {
  std::int64_t channels = 0;
  double eps = 1e-5;
  bool affine = true;
};

/// PyTorch's nn.ReLU, nn.Sigmoid, nn.Tanh, nn.ReLU6, nn.LeakyReLU, nn.SiLU, nn.Hardswish,
/// nn.Hardsigmoid and nn.GELU (the exact erf form), each with PyTorch 1.13's NaN and ±Inf.
/// Layer normalization over the channels at each pixel of a C×H×W tensor, or over the features of
/// an F one: (x − mean) / √(var + eps) · weight + bias, the variance biased (over C). torchvision's
/// LayerNorm2d, and nn.LayerNorm over the last dimension of a channels-last tensor.
struct LayerNorm {
  std::int64_t channels = 0;
  double eps = 1e-5;
  bool affine = true;
};

/// torch.permute between N×C×H×W and N×H×W×C (ConvNeXt's Permute). The tensor stays stored with
/// its channels first: a channels-last tensor is marked as such (Tensor::channels_last), so the
/// permutation is no stage at all.
struct Permute {
  bool to_channels_last = true;  // (0, 2, 3, 1); else (0, 3, 1, 2)
};

/// A trainable tensor of the module that holds it, read as a layer's output whatever its input:
/// ConvNeXt's `layer_scale` (C×1×1), multiplied in by a `mul` join. Its state_dict name is the
/// layer's path itself.
struct ParameterTensor {
  Shape shape;
};

enum class ActivationKind { relu, sigmoid, tanh, relu6, leaky_relu, silu, hardswish, hardsigmoid, gelu };

struct Activation {
  ActivationKind kind = ActivationKind::relu;
  double negative_slope = 0.01;  // leaky_relu: x for x ≥ 0, else negative_slope · x
};

/// The activation's layer kind as written: "relu", "sigmoid", …, "hardsigmoid", "gelu".
const char *activation_name(ActivationKind kind);

enum class PadMode { constant, reflect, replicate };
/// "constant", "reflect", "replicate": PyTorch's F.pad modes.
const char *pad_mode_name(PadMode mode);

/// Softmax over the channels (PyTorch's dim=1 of an N×C… tensor).
struct Softmax {};

/// C×H×W → C·H·W features, in PyTorch's order.
struct Flatten {};

struct Linear {
  std::int64_t in_features = 0;
  std::int64_t out_features = 0;
  bool bias = true;
};

/// Identity at inference; p is kept for summaries.
struct Dropout {
  double p = 0.5;
};

/// The input unchanged (nn.Identity).
struct Identity {};

/// The element-wise sum of its inputs, all of one shape: the join of a residual connection.
struct Add {};

/// The element-wise product of its inputs, broadcast as PyTorch broadcasts (torch.mul): inputs of
/// one rank whose every dimension is the output's or 1. Squeeze-and-excitation's join: a C×H×W
/// tensor times the C×1×1 scale its branch computes from it.
struct Mul {};

/// Channels [start, start + length) of its input (features of a flat one): torch.narrow(x, 1, start,
/// length), and x.chunk(chunks, dim=1)[index] (ShuffleNetV2's split of the channels in two).
struct ChannelSlice {
  std::int64_t start = 0;
  std::int64_t length = 0;
};

/// nn.ChannelShuffle(groups): the channels viewed as groups × C/groups and transposed, so output
/// channel c is input channel (c mod groups) · C/groups + ⌊c / groups⌋.
struct ChannelShuffle {
  std::int64_t groups = 1;
};

/// Its inputs, C×H×W each with the same H×W, stacked along the channels in order (torch.cat
/// along dim 1).
struct Concat {};

/// nn.ZeroPad2d and nn.ConstantPad2d (columns and rows of `value`), nn.ReflectionPad2d (the image
/// mirrored about its edge, the edge not repeated) and nn.ReplicationPad2d (the edge repeated):
/// each image grown by `left`, `right` columns and `top`, `bottom` rows.
struct Pad2d {
  PadMode mode = PadMode::constant;
  std::int64_t left = 0, right = 0, top = 0, bottom = 0;
  double value = 0;
};

using Operation = std::variant<Conv2d, Pool2d, AdaptivePool2d, BatchNorm, Activation, Softmax,
                               Flatten, Linear, Dropout, Identity, Add, Mul, Concat, ChannelSlice,
                               ChannelShuffle, LayerNorm, Permute, ParameterTensor, Pad2d>;

/// Calls `visitor` with the operation's alternative. Every pass over layers dispatches through
/// std::visit (this or directly), so that a kind a pass forgets fails to compile instead of
/// falling back to the identity.
template <typename Visitor>
decltype(auto) visit_operation(const Operation &op, Visitor &&visitor) {
  return std::visit(std::forward<Visitor>(visitor), op);
}

struct Tensor {
  Shape shape;
  int producer = -1;  // index into Network::nodes; -1 for the model's input
  /// Between permute((0, 2, 3, 1)) and permute((0, 3, 1, 2)): PyTorch's shape is H×W×C, `shape`
  /// still C×H×W (see Permute).
  bool channels_last = false;
};

struct Node {
  std::string kind;       // as written: "conv2d", "avgpool2d", …; "add", "mul", "concat" for joins
  std::string user_name;  // the name the layer line gives it (last part of `path`), else empty
  int index = 0;          // position among the children of its scope, counting from 0
  /// The node's place in PyTorch's module tree, its state_dict prefix: "fc1", "3",
  /// "layer2.0.downsample.0". Joins, which are no modules, get their scope and "add"/"concat" with
  /// a count ("1.0.add0"): they have no parameters and their names are only for messages.
  std::string path;
  /// The scope (module instance) holding the node: "" at the top, "layer2.0" for a block's layer.
  std::string scope;
  Operation op;
  std::vector<int> inputs;  // tensor indices; several for joins
  int output = -1;          // tensor index
  SourceRange range;        // the layer line, for diagnostics
  /// The prefix of the generated code's names for the node, unique in the network
  /// (dsl/symbols.hpp).
  std::string symbol;
};

struct Network {
  std::string name;
  SourceRange input_range;  // the `input` statement
  std::vector<Tensor> tensors;
  std::vector<Node> nodes;  // in an order where every node comes after its inputs' producers
  int input = -1;
  int output = -1;
};

/// A trainable tensor of a layer, named as PyTorch's state_dict names it.
enum class ParameterRole { weight, bias, running_mean, running_var };

struct Parameter {
  std::string name;  // "0.weight", "fc1.bias", "layer1.0.bn1.running_var"
  Shape shape;       // PyTorch's shape, e.g. {out, in/groups, kh, kw}
  ParameterRole role = ParameterRole::weight;
};

/// State_dict entries a layer may have that inference does not read (BatchNorm's I64 counter).
std::vector<std::string> ignored_entries(const Node &node);

/// The state_dict prefix of a node: its path (its name if it has one, else its index among its
/// scope's children, as nn.Sequential would call it, after the names of the scopes around it).
std::string parameter_prefix(const Node &node);
/// The node's parameters, weight before bias; empty for layers without any.
std::vector<Parameter> parameters(const Node &node);
/// "layer2.0.downsample" → {"layer2", "layer2.0", "layer2.0.downsample"}: the module instances
/// holding a node of that scope, outermost first.
std::vector<std::string> enclosing_modules(const std::string &scope);
/// "conv2d 'c1'" or "conv2d (layer 0)", for messages.
std::string describe(const Node &node);
/// "16×5×5"
std::string describe(const Shape &shape);
/// The tensor's shape as PyTorch has it: H×W×C where it is channels-last.
std::string describe(const Tensor &tensor);
/// The product of the dimensions, or INT64_MAX where it would overflow.
std::int64_t element_count(const Shape &shape);

}  // namespace cnngen
