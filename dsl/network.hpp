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
};

enum class PoolKind { max, average };

/// Average pooling divides by the whole window, padded zeros included (PyTorch's default).
struct Pool2d {
  PoolKind kind = PoolKind::max;
  Pair kernel, stride, padding;
};

enum class ActivationKind { relu, sigmoid, tanh };

struct Activation {
  ActivationKind kind = ActivationKind::relu;
};

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

using Operation = std::variant<Conv2d, Pool2d, Activation, Softmax, Flatten, Linear, Dropout>;

struct Tensor {
  Shape shape;
  int producer = -1;  // index into Network::nodes; -1 for the model's input
};

struct Node {
  std::string kind;       // as written: "conv2d", "avgpool2d", …
  std::string user_name;  // empty unless the layer was given a name
  int index = 0;          // position among the layer lines, counting from 0
  Operation op;
  std::vector<int> inputs;  // tensor indices
  int output = -1;          // tensor index
  SourceRange range;        // the layer line, for diagnostics
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
struct Parameter {
  std::string name;  // "0.weight", "fc1.bias"
  Shape shape;       // PyTorch's shape, e.g. {out, in/groups, kh, kw}
};

/// The state_dict prefix of a node: its name if it has one, else its index among layer lines
/// (what nn.Sequential would call it).
std::string parameter_prefix(const Node &node);
/// The node's parameters, weight before bias; empty for layers without any.
std::vector<Parameter> parameters(const Node &node);
/// A name safe for C identifiers and Halide: the user's name, else kind and index ("conv2d_0").
std::string symbol_name(const Node &node);
/// Every name code generation derives from symbol_name(node) for the node's Funcs, reductions
/// and weights (lower.cpp and lower_layers.cpp use exactly these suffixes); shape inference
/// rejects user names that would make two of them collide.
std::vector<std::string> generated_names(const Node &node);
/// Appended to symbol_name(node) for the layer's second copy in libraries that carry a
/// batch-vectorized variant of the network (codegen/schedule_batched.hpp).
inline constexpr const char *kBatchedSuffix = "_batched";
/// Names code generation uses for the model as a whole.
std::vector<std::string> reserved_names(const std::string &model_name);
/// "conv2d 'c1'" or "conv2d (layer 0)", for messages.
std::string describe(const Node &node);
/// "16×5×5"
std::string describe(const Shape &shape);
/// The product of the dimensions, or INT64_MAX where it would overflow.
std::int64_t element_count(const Shape &shape);

}  // namespace cnngen
