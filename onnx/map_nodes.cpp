// Mapping ONNX's operators to layers and joins (map_nodes.hpp).
#include "onnx/map_nodes.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>
#include <sstream>

#include "onnx/patterns.hpp"

namespace cnngen::onnx_import {
namespace {

/// `value` as the language writes a decimal: with a point, never an exponent (1e-05 → 0.00001).
std::string decimal(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.12f", value);
  std::string s = text;
  while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

/// One number, or a pair `(h, w)` where they differ.
std::string pair_text(std::int64_t h, std::int64_t w) {
  return h == w ? std::to_string(h) : "(" + std::to_string(h) + ", " + std::to_string(w) + ")";
}

/// A tensor of shape `dims` holding `value` everywhere.
WeightTensor filled_tensor(std::vector<std::int64_t> dims, float value) {
  WeightTensor w;
  std::size_t count = 1;
  for (std::int64_t d : dims) count *= static_cast<std::size_t>(d);
  w.shape = std::move(dims);
  w.data.assign(count, value);
  return w;
}

WeightTensor weight_tensor(const Constant &c) {
  WeightTensor w;
  w.shape = c.dims;
  w.data = c.floats;
  return w;
}

/// A window's padding in PyTorch's terms, from ONNX's `pads` (begin h, begin w, end h, end w) or
/// `auto_pad`: `padding`, one number per axis for both sides, and where the sides differ the
/// `extra` on one of them (left, right, top, bottom: nn.ZeroPad2d's order) for a padding layer
/// before the window's.
struct Window {
  std::int64_t kernel[2], stride[2], dilation[2], padding[2];
  std::int64_t extra[4];
  bool asymmetric() const { return extra[0] || extra[1] || extra[2] || extra[3]; }
};

/// Padding as nn.ZeroPad2d's and its kin's argument: one number, or (left, right, top, bottom).
std::string padding_text(const std::int64_t (&p)[4]) {
  if (p[0] == p[1] && p[1] == p[2] && p[2] == p[3]) return std::to_string(p[0]);
  return "(" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ", " + std::to_string(p[2]) + ", " +
         std::to_string(p[3]) + ")";
}

class Mapper {
 public:
  Mapper(const Graph &graph, const std::string &file, Diagnostics &diagnostics)
      : graph_(graph), file_(file), diagnostics_(diagnostics) {}

  std::vector<Step> run() {
    for (std::size_t i = 0; i < graph_.nodes.size(); ++i) {
      if (graph_.folded[i] || skipped_.count(static_cast<int>(i))) continue;
      const onnx::NodeProto &node = *graph_.nodes[i];
      node_ = &node;
      index_ = static_cast<int>(i);
      ok_ = true;
      if (node.input_size() > 0 && channels_last_.count(node.input(0)) && !kChannelsLastOperators.count(node.op_type())) {
        refuse("its input '" + node.input(0) + "' is channels-last (N×H×W×C, after a Transpose (0, 2, 3, 1)); "
               "cnngen computes only MatMul, layer norm and element-wise operators there",
               "transpose back to N×C×H×W (perm 0, 3, 1, 2) before it");
        continue;
      }
      Step step = map(node);
      if (!ok_) continue;
      if (step.output.empty()) step.output = node.output(0);
      step.origin = describe(node);
      push(std::move(step));
    }
    return std::move(steps_);
  }

 private:
  /// Adds `step`, its output channels-last where its input is (or, for a permute, turned).
  void push(Step step) {
    const bool last = step.kind_name == "permute" ? step.arguments == "(0, 2, 3, 1)"
                                                  : !step.inputs.empty() && channels_last_.count(step.inputs[0]);
    if (last) channels_last_.insert(step.output);
    if (step.scope.empty()) step.scope = module_path(node_->name());
    steps_.push_back(std::move(step));
  }

  /// Whether value `name` is channels-last in the .net (N×H×W×C, after a permute).
  bool channels_last(const std::string &name) const { return channels_last_.count(name) > 0; }

  /// The ONNX operators that may read a channels-last value: the element-wise ones, MatMul (a
  /// linear layer), the layer norm and GELU patterns' first nodes, and the Transpose back.
  inline static const std::set<std::string> kChannelsLastOperators{
      "Add", "Mul", "Div", "Relu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "Clip",
      "Identity", "Dropout", "MatMul", "LayerNormalization", "ReduceMean", "Transpose", "Sub"};

  // --- reporting and reading -------------------------------------------------------------

  void refuse(const std::string &why, const std::string &help = "") {
    if (!ok_) return;
    ok_ = false;
    Diagnostic &d = diagnostics_.error_in(file_, describe(*node_) + ": " + why);
    if (!help.empty()) d.with_help(help);
  }

  const Value *value(const std::string &name) const {
    auto found = graph_.values.find(name);
    return found == graph_.values.end() ? nullptr : &found->second;
  }

  /// Input `i`'s constant, or nothing (and, with `required`, the node refused).
  const Constant *constant_input(int i, bool required, const char *what) {
    if (i >= node_->input_size() || node_->input(i).empty()) {
      if (required) refuse("it has no " + std::string(what));
      return nullptr;
    }
    const Value *v = value(node_->input(i));
    if (!v || !v->constant) {
      if (required) refuse("its " + std::string(what) + " '" + node_->input(i) + "' is computed, not a constant: cnngen compiles weights into the network");
      return nullptr;
    }
    if (v->constant->integer) {
      if (required) refuse("its " + std::string(what) + " '" + node_->input(i) + "' holds integers, not floats");
      return nullptr;
    }
    return &*v->constant;
  }

  /// Input `i`'s integers, `fallback` where the input is absent, or nothing (and the node refused:
  /// its `what` are not constant) where it is computed.
  std::optional<std::vector<std::int64_t>> integer_input(int i, std::vector<std::int64_t> fallback, const char *what) {
    if (i >= node_->input_size() || node_->input(i).empty()) return fallback;
    const Value *v = value(node_->input(i));
    if (!v || !v->constant || !v->constant->integer) {
      refuse("its " + std::string(what) + " are not constant");
      return std::nullopt;
    }
    return v->constant->ints;
  }

  /// The rank-`rank` shape of input `i`, or nothing and the node refused.
  const std::vector<std::int64_t> *shape_of(int i, std::size_t rank) {
    const Value *v = value(node_->input(i));
    if (!v || !v->has_shape) {
      refuse("the shape of '" + node_->input(i) + "' is unknown (ONNX's shape inference gave none)");
      return nullptr;
    }
    if (v->shape.size() != rank) {
      refuse("its input '" + node_->input(i) + "' has " + std::to_string(v->shape.size()) + " dimensions; cnngen's " +
             (rank == 4 ? "layer needs N×C×H×W (2-D images)" : "layer needs N×F (flat features)"));
      return nullptr;
    }
    return &v->shape;
  }

  bool output_unused(int output) const {
    if (node_->output_size() <= output || node_->output(output).empty()) return true;
    const Value *v = value(node_->output(output));
    return !v || (v->consumers.empty() && !v->is_output);
  }

  /// The one consumer of `name`, or -1.
  int sole_consumer(const std::string &name) const {
    const Value *v = value(name);
    if (!v || v->is_output || v->consumers.size() != 1) return -1;
    return v->consumers[0];
  }

  /// A name for a layer with weights: `weight_name` less its ".weight" (a state_dict name kept as
  /// the exporter wrote it), else the module path in the node's name (PyTorch names nodes
  /// '/layer1/layer1.0/conv1/Conv': layer1.0.conv1), where the language can write it and no
  /// other layer took it; else KIND_N.
  std::string layer_name(const std::string &weight_name, const std::string &kind) {
    const std::string suffix = ".weight";
    if (weight_name.size() > suffix.size() && weight_name.compare(weight_name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::string name = weight_name.substr(0, weight_name.size() - suffix.size());
      if (writable_name(name) && names_.insert(name).second) return name;
    }
    const std::string path = module_path(node_->name());
    if (writable_name(path) && names_.insert(path).second) return path;
    for (int n = 0;; ++n) {
      std::string name = kind + "_" + std::to_string(n);
      if (names_.insert(name).second) return name;
    }
  }

  /// A name for a parameter holding constant `name`: the constant's own name (a state_dict name,
  /// `features.1.0.layer_scale`) where the language can write it and it is free, else the node's
  /// module path and `.constant`, else constant_N.
  std::string constant_name(const std::string &name) {
    if (writable_name(name) && names_.insert(name).second) return name;
    const std::string path = module_path(node_->name());
    if (!path.empty() && writable_name(path + ".constant") && names_.insert(path + ".constant").second)
      return path + ".constant";
    for (int n = 0;; ++n) {
      std::string numbered = "constant_" + std::to_string(n);
      if (names_.insert(numbered).second) return numbered;
    }
  }

  /// Reads kernel, strides, dilations and pads (or auto_pad) of a 2-D window over input 0.
  std::optional<Window> window(const std::vector<std::int64_t> &kernel) {
    Window w{};
    if (kernel.size() != 2) {
      refuse("its window has " + std::to_string(kernel.size()) + " dimensions; cnngen's layers are 2-D");
      return std::nullopt;
    }
    std::vector<std::int64_t> strides = ints_attribute(*node_, "strides");
    std::vector<std::int64_t> dilations = ints_attribute(*node_, "dilations");
    std::vector<std::int64_t> pads = ints_attribute(*node_, "pads");
    if (strides.empty()) strides = {1, 1};
    if (dilations.empty()) dilations = {1, 1};
    if (pads.empty()) pads = {0, 0, 0, 0};
    if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4) {
      refuse("its strides, dilations or pads do not have one value per spatial axis");
      return std::nullopt;
    }
    const std::string auto_pad = string_attribute(*node_, "auto_pad", "NOTSET");
    for (int a = 0; a < 2; ++a) {
      w.kernel[a] = kernel[static_cast<std::size_t>(a)];
      w.stride[a] = strides[static_cast<std::size_t>(a)];
      w.dilation[a] = dilations[static_cast<std::size_t>(a)];
      if (w.kernel[a] < 1 || w.stride[a] < 1 || w.dilation[a] < 1) {
        refuse("its kernel, strides and dilations must be positive");
        return std::nullopt;
      }
    }
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const std::vector<std::int64_t> *in = shape_of(0, 4);
      if (!in) return std::nullopt;
      for (int a = 0; a < 2; ++a) {
        const std::int64_t n = (*in)[static_cast<std::size_t>(a + 2)];
        const std::int64_t out = (n + w.stride[a] - 1) / w.stride[a];
        const std::int64_t total =
            std::max<std::int64_t>(0, (out - 1) * w.stride[a] + w.dilation[a] * (w.kernel[a] - 1) + 1 - n);
        pads[static_cast<std::size_t>(a)] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
        pads[static_cast<std::size_t>(a + 2)] = total - pads[static_cast<std::size_t>(a)];
      }
    } else if (auto_pad == "VALID") {
      pads = {0, 0, 0, 0};
    } else if (auto_pad != "NOTSET") {
      refuse("its auto_pad '" + auto_pad + "' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID");
      return std::nullopt;
    }
    for (int a = 0; a < 2; ++a) {
      const std::int64_t begin = pads[static_cast<std::size_t>(a)], end = pads[static_cast<std::size_t>(a + 2)];
      if (begin < 0 || end < 0) {
        refuse("its pads are negative");
        return std::nullopt;
      }
      w.padding[a] = std::min(begin, end);
      // extra: left, right (the width, a = 1), then top, bottom (the height, a = 0)
      w.extra[a == 1 ? 0 : 2] = begin - w.padding[a];
      w.extra[a == 1 ? 1 : 3] = end - w.padding[a];
    }
    return w;
  }

  // --- the operators -----------------------------------------------------------------------

  Step layer(std::string kind, std::string arguments = "") {
    Step s;
    s.kind_name = std::move(kind);
    s.arguments = std::move(arguments);
    s.inputs = {node_->input(0)};
    return s;
  }

  Step alias() {
    Step s;
    s.kind = Step::Kind::alias;
    s.inputs = {node_->input(0)};
    return s;
  }

  Step conv() {
    const Constant *weight = constant_input(1, true, "weight");
    if (!weight) return {};
    if (weight->dims.size() != 4) {
      refuse("its weight has " + std::to_string(weight->dims.size()) + " dimensions; cnngen's conv2d is 2-D (N×C×H×W)");
      return {};
    }
    std::vector<std::int64_t> kernel = ints_attribute(*node_, "kernel_shape");
    if (kernel.empty()) kernel = {weight->dims[2], weight->dims[3]};
    std::optional<Window> w = window(kernel);
    if (!w) return {};
    const std::int64_t groups = int_attribute(*node_, "group", 1);
    const Constant *bias = constant_input(2, false, "bias");
    if (!ok_) return {};
    std::ostringstream args;
    args << weight->dims[0] << ", " << pair_text(w->kernel[0], w->kernel[1]);
    if (w->stride[0] != 1 || w->stride[1] != 1) args << ", stride=" << pair_text(w->stride[0], w->stride[1]);
    if (w->padding[0] || w->padding[1]) args << ", padding=" << pair_text(w->padding[0], w->padding[1]);
    if (w->dilation[0] != 1 || w->dilation[1] != 1) args << ", dilation=" << pair_text(w->dilation[0], w->dilation[1]);
    if (groups != 1) args << ", groups=" << groups;
    if (!bias) args << ", bias=false";
    Step s = layer("conv2d", args.str());
    if (w->asymmetric()) s.inputs = {pad_before("zeropad2d", *w)};
    s.name = layer_name(node_->input(1), "conv");
    s.weights.emplace_back(s.name + ".weight", weight_tensor(*weight));
    if (bias) s.weights.emplace_back(s.name + ".bias", weight_tensor(*bias));
    return s;
  }

  Step batch_norm() {
    if (int_attribute(*node_, "training_mode", 0) != 0 || !output_unused(1) || !output_unused(2)) {
      refuse("it is in training mode; cnngen compiles inference (batch norm with its running statistics)");
      return {};
    }
    const Constant *scale = constant_input(1, true, "scale");
    const Constant *bias = constant_input(2, true, "bias");
    const Constant *mean = constant_input(3, true, "mean");
    const Constant *var = constant_input(4, true, "variance");
    if (!ok_) return {};
    const Value *in = value(node_->input(0));
    const std::size_t rank = in && in->has_shape ? in->shape.size() : 0;
    if (rank != 4 && rank != 2) {
      refuse("its input must be N×C×H×W or N×F");
      return {};
    }
    const float eps = float_attribute(*node_, "epsilon", 1e-5f);
    Step s = layer(rank == 4 ? "batchnorm2d" : "batchnorm1d",
                   std::abs(eps - 1e-5f) > 1e-12f ? "eps=" + decimal(eps) : "");
    s.name = layer_name(node_->input(1), "bn");
    s.weights.emplace_back(s.name + ".weight", weight_tensor(*scale));
    s.weights.emplace_back(s.name + ".bias", weight_tensor(*bias));
    s.weights.emplace_back(s.name + ".running_mean", weight_tensor(*mean));
    s.weights.emplace_back(s.name + ".running_var", weight_tensor(*var));
    return s;
  }

  Step pool(bool max) {
    if (max && !output_unused(1)) {
      refuse("its Indices output is used; cnngen's max pooling gives the values only");
      return {};
    }
    std::optional<Window> w = window(ints_attribute(*node_, "kernel_shape"));
    if (!w) return {};
    const bool dilated = w->dilation[0] != 1 || w->dilation[1] != 1;
    if (!max && dilated) {
      refuse("its dilations are not 1; cnngen's average pooling, as PyTorch's, has none");
      return {};
    }
    for (int a = 0; a < 2; ++a) {
      if (2 * w->padding[a] > w->kernel[a]) {
        refuse("it pads more than half its window (" + std::to_string(w->padding[a]) + " of " +
               std::to_string(w->kernel[a]) + "), which PyTorch's pooling, and cnngen's, refuses");
        return {};
      }
    }
    const bool ceil = int_attribute(*node_, "ceil_mode", 0) != 0;
    const bool padded = w->padding[0] || w->padding[1];
    std::string input = node_->input(0);
    if (w->asymmetric()) {
      // Padded on one side beforehand: with zeros that the average counts, or for the maximum with
      // copies of the edge, which every window that reads one also reads (each side pads less than
      // the window, which is not dilated): exactly PyTorch's −∞.
      bool fits = !ceil && !dilated;
      for (int side = 0; side < 4; ++side) fits = fits && w->padding[side / 2 == 0 ? 1 : 0] + w->extra[side] < w->kernel[side / 2 == 0 ? 1 : 0];
      if (!max && int_attribute(*node_, "count_include_pad", 0) == 0) {
        refuse("it pads one side more than the other and leaves the padding out of each window's count "
               "(count_include_pad=0): cnngen's padding layer before the pooling would be counted");
        return {};
      }
      if (!fits) {
        refuse("it pads one side more than the other with ceil_mode, dilations, or a side padded as much as the "
               "window: cnngen's padding layer before the pooling would change its windows");
        return {};
      }
      input = pad_before(max ? "replicationpad2d" : "zeropad2d", *w);
    }
    std::ostringstream args;
    args << pair_text(w->kernel[0], w->kernel[1]) << ", stride=" << pair_text(w->stride[0], w->stride[1]);
    if (padded) args << ", padding=" << pair_text(w->padding[0], w->padding[1]);
    if (dilated) args << ", dilation=" << pair_text(w->dilation[0], w->dilation[1]);
    if (ceil) args << ", ceil_mode=true";
    // ONNX's default leaves the padding out of each window's count; PyTorch's counts it.
    if (!max && padded && int_attribute(*node_, "count_include_pad", 0) == 0) args << ", count_include_pad=false";
    Step s = layer(max ? "maxpool2d" : "avgpool2d", args.str());
    s.inputs = {input};
    return s;
  }

  Step flatten_to(std::int64_t axis, const Value &in) {
    const auto rank = static_cast<std::int64_t>(in.shape.size());
    if (axis < 0) axis += rank;
    if (axis != 1) {
      refuse("it flattens from dimension " + std::to_string(axis) + "; cnngen flattens from 1 (all but the batch)");
      return {};
    }
    return rank == 2 ? alias() : layer("flatten");
  }

  Step flatten() {
    const Value *in = value(node_->input(0));
    if (!in || !in->has_shape) {
      refuse("the shape of its input is unknown");
      return {};
    }
    return flatten_to(int_attribute(*node_, "axis", 1), *in);
  }

  Step reshape() {
    const Value *in = value(node_->input(0));
    const Value *target = node_->input_size() > 1 ? value(node_->input(1)) : nullptr;
    if (!target || !target->constant || !target->constant->integer) {
      refuse("its target shape is computed from something cnngen cannot fold");
      return {};
    }
    if (!in || !in->has_shape || (in->shape.size() != 4 && in->shape.size() != 2)) {
      refuse("the shape of its input is unknown, or not N×C×H×W or N×F");
      return {};
    }
    const std::vector<std::int64_t> &to = target->constant->ints;
    std::int64_t features = 1;
    for (std::size_t d = 1; d < in->shape.size(); ++d) features *= in->shape[d];
    const bool batch_kept = to.size() == 2 && (to[0] == kFreeBatch || to[0] == 0 || to[0] == -1 ||
                                               (in->shape[0] > 0 && to[0] == in->shape[0]));
    if (batch_kept && (to[1] == -1 || to[1] == features) && !(to[0] == -1 && to[1] == -1))
      return flatten_to(1, *in);
    refuse("it reshapes to something other than N×F (a flatten); cnngen's tensors keep their layout");
    return {};
  }

  Step gemm() {
    const Value *a = value(node_->input(0));
    if (!a || !a->has_shape || a->shape.size() != 2) {
      refuse("its input A must be N×F (flat features)");
      return {};
    }
    if (int_attribute(*node_, "transA", 0) != 0) {
      refuse("it transposes its input (transA=1); cnngen's linear layer reads N×F");
      return {};
    }
    const Constant *b = constant_input(1, true, "weight B");
    if (!b) return {};
    const Constant *c = constant_input(2, false, "bias C");
    if (!ok_) return {};
    return linear(*b, int_attribute(*node_, "transB", 0) != 0, float_attribute(*node_, "alpha", 1.0f), c,
                  float_attribute(*node_, "beta", 1.0f), node_->input(1));
  }

  /// A linear layer of `b` (out×in where `transposed`, else in×out) scaled by `alpha`, with bias
  /// `c` (out, 1×out or one value) scaled by `beta`.
  Step linear(const Constant &b, bool transposed, float alpha, const Constant *c, float beta,
              const std::string &weight_name) {
    if (b.dims.size() != 2) {
      refuse("its weight is not a matrix");
      return {};
    }
    const std::int64_t out = transposed ? b.dims[0] : b.dims[1], in = transposed ? b.dims[1] : b.dims[0];
    WeightTensor w;
    w.shape = {out, in};
    w.data.resize(static_cast<std::size_t>(out * in));
    for (std::int64_t o = 0; o < out; ++o) {
      for (std::int64_t i = 0; i < in; ++i) {
        const std::int64_t from = transposed ? o * in + i : i * out + o;
        w.data[static_cast<std::size_t>(o * in + i)] = alpha * b.floats[static_cast<std::size_t>(from)];
      }
    }
    Step s = layer("linear", std::to_string(out) + (c ? "" : ", bias=false"));
    s.name = layer_name(weight_name, "linear");
    s.weights.emplace_back(s.name + ".weight", std::move(w));
    if (c) {
      if (c->floats.size() != 1 && static_cast<std::int64_t>(c->floats.size()) != out) {
        refuse("its bias has " + std::to_string(c->floats.size()) + " values for " + std::to_string(out) +
               " outputs; cnngen's linear layer adds one bias per output");
        return {};
      }
      WeightTensor bias;
      bias.shape = {out};
      for (std::int64_t o = 0; o < out; ++o) bias.data.push_back(beta * c->floats[c->floats.size() == 1 ? 0 : static_cast<std::size_t>(o)]);
      s.weights.emplace_back(s.name + ".bias", std::move(bias));
    }
    return s;
  }

  Step matmul() {
    const Value *a = value(node_->input(0));
    if (!a || !a->has_shape || (a->shape.size() != 2 && !(a->shape.size() == 4 && channels_last(node_->input(0))))) {
      refuse("its input A must be N×F (flat features) or channels-last N×H×W×C (after a Transpose (0, 2, 3, 1))");
      return {};
    }
    const Constant *b = constant_input(1, true, "weight B");
    if (!b) return {};
    // MatMul then Add of a constant: one linear layer with a bias (how PyTorch exports
    // nn.Linear at some opsets).
    const Constant *c = nullptr;
    std::string output;
    const int add = sole_consumer(node_->output(0));
    if (add >= 0 && graph_.nodes[static_cast<std::size_t>(add)]->op_type() == "Add") {
      const onnx::NodeProto &sum = *graph_.nodes[static_cast<std::size_t>(add)];
      const std::string &other = sum.input(0) == node_->output(0) ? sum.input(1) : sum.input(0);
      const Value *v = value(other);
      if (v && v->constant && !v->constant->integer) {
        c = &*v->constant;
        output = sum.output(0);
        skipped_.insert(add);
      }
    }
    Step s = linear(*b, false, 1.0f, c, 1.0f, node_->input(1));
    if (!output.empty()) s.output = output;
    return s;
  }

  Step join(const char *kind) {
    Step s;
    s.kind = Step::Kind::join;
    s.kind_name = kind;
    std::string computed;  // the first input computed from the network's input
    for (const std::string &name : node_->input()) {
      const Value *v = value(name);
      if (computed.empty() && !(v && v->constant)) computed = name;
    }
    std::vector<Step> parameters;
    for (const std::string &name : node_->input()) {
      const Value *v = value(name);
      if (v && v->constant) {
        if (std::string(kind) == "concat") {
          refuse("one of its inputs, '" + name + "', is a constant; cnngen's concat joins branches computed from the "
                 "network's input");
          return {};
        }
        std::optional<Step> p = parameter(name, *v->constant, computed, kind);
        if (!p) return {};
        s.inputs.push_back(p->output);
        parameters.push_back(std::move(*p));
        continue;
      }
      s.inputs.push_back(name);
    }
    for (Step &p : parameters) push(std::move(p));
    if (s.inputs.size() == 1) return alias();
    return s;
  }

  /// Constant `c` (input `name`) as an operand of join `kind` with computed value `computed`: a
  /// `parameter` that branches off `computed` (`mul { branch {} branch { parameter p((C, 1, 1)) } }`,
  /// ConvNeXt's layer scale), of the shape the .net writes (without the batch, broadcast as
  /// torch.mul broadcasts for mul, equal for add); or nothing and the node refused.
  std::optional<Step> parameter(const std::string &name, const Constant &c, const std::string &computed,
                                const std::string &kind) {
    const Value *x = computed.empty() ? nullptr : value(computed);
    if (!x || !x->has_shape || c.integer) {
      refuse("its operands are all constants, or hold integers; cnngen's " + kind + " joins values computed from "
             "the network's input");
      return std::nullopt;
    }
    if (channels_last(computed)) {
      refuse("it " + kind + "s a constant into a channels-last value; cnngen's parameters are C×H×W or F",
             "transpose back to N×C×H×W (perm 0, 3, 1, 2) first");
      return std::nullopt;
    }
    // Right-aligned as numpy broadcasts, then the batch dimension (which must be 1) dropped.
    const std::size_t rank = x->shape.size();
    std::vector<std::int64_t> dims = c.dims;
    if (dims.size() > rank) {
      refuse("its constant '" + name + "' has more dimensions than the value it joins");
      return std::nullopt;
    }
    dims.insert(dims.begin(), rank - dims.size(), 1);
    bool fits = dims[0] == 1;
    for (std::size_t d = 1; d < rank; ++d) {
      fits = fits && x->shape[d] > 0 && (dims[d] == x->shape[d] || (kind == "mul" && dims[d] == 1));
    }
    if (!fits) {
      std::string shapes = "(";
      for (std::size_t d = 0; d < c.dims.size(); ++d) shapes += (d ? "×" : "") + std::to_string(c.dims[d]);
      refuse("its constant '" + name + "' " + shapes + ") does not " + (kind == "mul" ? "broadcast to" : "have the shape of") +
             " one image of the value it joins" + (kind == "mul" ? "" : " (cnngen's add adds tensors of one shape)"),
             "cnngen's parameters hold one value per image, for every image of the batch alike");
      return std::nullopt;
    }
    dims.erase(dims.begin());
    std::string shape;
    for (std::int64_t d : dims) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    Step p;
    p.kind_name = "parameter";
    p.name = constant_name(name);
    p.arguments = dims.size() == 1 ? shape : "(" + shape + ")";
    p.inputs = {computed};
    p.output = name + " (as a parameter of " + node_->output(0) + ")";
    p.origin = describe(*node_) + ": " + name;
    WeightTensor w;
    w.shape = dims;
    w.data = c.floats;
    p.weights.emplace_back(p.name, std::move(w));
    return p;
  }

  /// x · act(x), which PyTorch exports for nn.SiLU and (before opset 14) nn.Hardswish: the layer,
  /// or nothing where `node_` (a Mul) is not that pattern.
  std::optional<Step> gated() {
    if (node_->input_size() != 2) return std::nullopt;
    for (int side = 0; side < 2; ++side) {
      const Value *gate = value(node_->input(side));
      if (!gate || gate->producer < 0 || sole_consumer(node_->input(side)) != index_) continue;
      const onnx::NodeProto &act = *graph_.nodes[static_cast<std::size_t>(gate->producer)];
      if (act.input_size() < 1 || act.input(0) != node_->input(1 - side)) continue;
      const std::string kind = gate_kind(act);
      if (kind.empty()) continue;
      Step s;
      s.kind_name = kind;
      s.inputs = {act.input(0)};
      return s;
    }
    return std::nullopt;
  }

  /// The layer x · act(x) is, where `act` is a gate gated() maps (Sigmoid; PyTorch's HardSigmoid),
  /// else empty.
  static std::string gate_kind(const onnx::NodeProto &act) {
    return act.op_type() == "Sigmoid" ? "silu" : hard_sigmoid_is_pytorchs(act) ? "hardswish" : "";
  }

  static bool hard_sigmoid_is_pytorchs(const onnx::NodeProto &node) {
    return node.op_type() == "HardSigmoid" && std::abs(float_attribute(node, "alpha", 0.2f) - 1.0f / 6) < 1e-6f &&
           float_attribute(node, "beta", 0.5f) == 0.5f;
  }

  /// Whether activation node `node_` is the gate of an x · act(x) that gated() maps: then it
  /// has no step of its own.
  bool is_gate() const {
    if (gate_kind(*node_).empty()) return false;
    const int mul = sole_consumer(node_->output(0));
    if (mul < 0) return false;
    const onnx::NodeProto &m = *graph_.nodes[static_cast<std::size_t>(mul)];
    if (m.op_type() != "Mul" || m.input_size() != 2) return false;
    const std::string &other = m.input(0) == node_->output(0) ? m.input(1) : m.input(0);
    return other == node_->input(0) && other != node_->output(0);
  }

  /// Clip's bounds: optional constant inputs (opset 11 on; older models are converted).
  Step clip() {
    float low = -INFINITY, high = INFINITY;
    for (int i = 1; i <= 2; ++i) {
      if (i >= node_->input_size() || node_->input(i).empty()) continue;
      const Value *v = value(node_->input(i));
      if (!v || !v->constant || v->constant->count() != 1 || v->constant->integer) {
        refuse("its bounds are not constant floats");
        return {};
      }
      (i == 1 ? low : high) = v->constant->floats[0];
    }
    if (low == 0 && high == 6) return layer("relu6");
    if (low == 0 && std::isinf(high) && high > 0) return layer("relu");
    refuse("it clips to [" + decimal(low) + ", " + decimal(high) + "]; cnngen has relu ([0, ∞)) and relu6 ([0, 6])");
    return {};
  }

  Step softmax() {
    const Value *in = value(node_->input(0));
    if (!in || !in->has_shape) {
      refuse("the shape of its input is unknown");
      return {};
    }
    const auto rank = static_cast<std::int64_t>(in->shape.size());
    std::int64_t axis = int_attribute(*node_, "axis", -1);
    if (axis < 0) axis += rank;
    if (axis == 1 && (rank == 2 || rank == 4)) return layer("softmax");
    refuse("it takes the softmax over dimension " + std::to_string(axis) + " of " + std::to_string(rank) +
           "; cnngen's softmax is over the channels or features (dimension 1)");
    return {};
  }

  /// Split along the channels: one chunk(n, i) or narrow(start, length) step per output read
  /// (torch's x.chunk(2, dim=1) in ShuffleNetV2). The steps go straight into steps_.
  Step split() {
    const Value *in = value(node_->input(0));
    if (!in || !in->has_shape || (in->shape.size() != 4 && in->shape.size() != 2)) {
      refuse("the shape of its input is unknown, or not N×C×H×W or N×F");
      return {};
    }
    std::int64_t axis = int_attribute(*node_, "axis", 0);
    if (axis < 0) axis += static_cast<std::int64_t>(in->shape.size());
    if (axis != 1) {
      refuse("it splits dimension " + std::to_string(axis) + "; cnngen splits the channels or features (dimension 1)");
      return {};
    }
    const std::int64_t channels = in->shape[1];
    const auto outputs = static_cast<std::int64_t>(node_->output_size());
    std::vector<std::int64_t> equal;  // without sizes (opset 13): equal parts, the last one smaller
    for (std::int64_t i = 0, chunk = (channels + outputs - 1) / outputs; i < outputs; ++i)
      equal.push_back(std::min(chunk, channels - i * chunk));
    const std::optional<std::vector<std::int64_t>> given = integer_input(1, equal, "split sizes");
    if (!given) return {};
    const std::vector<std::int64_t> &sizes = *given;
    std::int64_t total = 0;
    for (std::int64_t size : sizes) total += size;
    if (static_cast<std::int64_t>(sizes.size()) != outputs || total != channels) {
      refuse("its split sizes do not add up to its " + std::to_string(channels) + " channels");
      return {};
    }
    const std::int64_t chunk = (channels + outputs - 1) / outputs;
    bool chunks = true;  // exactly torch.chunk's sizes
    for (std::int64_t i = 0; i < outputs; ++i) chunks &= sizes[static_cast<std::size_t>(i)] == std::min(chunk, channels - i * chunk);
    std::int64_t start = 0;
    for (std::int64_t i = 0; i < outputs; ++i) {
      const std::int64_t size = sizes[static_cast<std::size_t>(i)];
      if (!output_unused(static_cast<int>(i))) {
        Step s = chunks ? layer("chunk", std::to_string(outputs) + ", " + std::to_string(i))
                        : layer("narrow", std::to_string(start) + ", " + std::to_string(size));
        s.output = node_->output(static_cast<int>(i));
        s.origin = describe(*node_);
        push(std::move(s));
      }
      start += size;
    }
    return skip();
  }

  /// Slice of the channels (axes [1], step 1): torch.narrow, or chunk(n, i) where the slice is
  /// the i-th of n equal ones (x.chunk(2, dim=1) at opset 13 and on).
  Step slice() {
    const Value *in = value(node_->input(0));
    if (!in || !in->has_shape || (in->shape.size() != 4 && in->shape.size() != 2)) {
      refuse("the shape of its input is unknown, or not N×C×H×W or N×F");
      return {};
    }
    const auto starts = integer_input(1, {}, "starts"), ends = integer_input(2, {}, "ends");
    const auto axes = integer_input(3, {0}, "axes"), steps = integer_input(4, {1}, "steps");
    if (!ok_) return {};
    if (starts->size() != 1 || ends->size() != 1 || axes->size() != 1 || steps->size() != 1) {
      refuse("it slices more than one dimension");
      return {};
    }
    const auto rank = static_cast<std::int64_t>(in->shape.size());
    const std::int64_t axis = (*axes)[0] < 0 ? (*axes)[0] + rank : (*axes)[0];
    if (axis != 1 || (*steps)[0] != 1) {
      refuse("it slices other than the channels or features (dimension 1) with step 1");
      return {};
    }
    const std::int64_t channels = in->shape[1];
    auto clamp = [&](std::int64_t v) {
      if (v < 0) v += channels;
      return std::max<std::int64_t>(0, std::min(v, channels));
    };
    const std::int64_t start = clamp((*starts)[0]), length = clamp((*ends)[0]) - start;
    if (length <= 0) {
      refuse("it keeps no channel");
      return {};
    }
    if (channels % length == 0 && start % length == 0)
      return layer("chunk", std::to_string(channels / length) + ", " + std::to_string(start / length));
    return layer("narrow", std::to_string(start) + ", " + std::to_string(length));
  }

  /// ReduceMean over H and W (x.mean([2, 3]) in torchvision's ShuffleNetV2): global average
  /// pooling, then a flatten where the dimensions are not kept.
  Step reduce_mean() {
    const std::vector<std::int64_t> *in = shape_of(0, 4);
    if (!in) return {};
    std::vector<std::int64_t> axes = ints_attribute(*node_, "axes");
    for (std::int64_t &a : axes) {
      if (a < 0) a += 4;
    }
    std::sort(axes.begin(), axes.end());
    if (axes != std::vector<std::int64_t>{2, 3}) {
      refuse("it averages over other dimensions than the height and width (2 and 3)");
      return {};
    }
    Step pool = layer("adaptiveavgpool2d", "1");
    if (int_attribute(*node_, "keepdims", 1) != 0) return pool;
    pool.output = node_->output(0) + " (pooled)";
    pool.origin = describe(*node_);
    push(pool);
    Step flat = layer("flatten");
    flat.inputs = {pool.output};
    return flat;
  }

  /// Reshape N×C×H×W → N×g×(C/g)×H×W, Transpose (0, 2, 1, 3, 4), Reshape back: PyTorch's
  /// channel_shuffle(x, g) as torchvision's ShuffleNetV2 writes it. The step, or nothing where
  /// `node_` (a Reshape) does not start that pattern.
  std::optional<Step> channel_shuffle() {
    const Value *in = value(node_->input(0));
    const Value *target = value(node_->input(1));
    if (!in || !in->has_shape || in->shape.size() != 4 || !target || !target->constant || !target->constant->integer)
      return std::nullopt;
    const std::vector<std::int64_t> &to = target->constant->ints;
    const std::int64_t channels = in->shape[1];
    if (to.size() != 5 || to[1] <= 0 || to[2] * to[1] != channels || to[3] != in->shape[2] || to[4] != in->shape[3])
      return std::nullopt;
    const int transpose = sole_consumer(node_->output(0));
    if (transpose < 0) return std::nullopt;
    const onnx::NodeProto &t = *graph_.nodes[static_cast<std::size_t>(transpose)];
    if (t.op_type() != "Transpose" || ints_attribute(t, "perm") != std::vector<std::int64_t>{0, 2, 1, 3, 4})
      return std::nullopt;
    const int back = sole_consumer(t.output(0));
    if (back < 0) return std::nullopt;
    const onnx::NodeProto &r = *graph_.nodes[static_cast<std::size_t>(back)];
    const Value *back_to = r.op_type() == "Reshape" && r.input_size() > 1 ? value(r.input(1)) : nullptr;
    if (!back_to || !back_to->constant || !back_to->constant->integer) return std::nullopt;
    const std::vector<std::int64_t> &shape = back_to->constant->ints;
    if (shape.size() != 4 || (shape[1] != channels && shape[1] != -1) || shape[2] != in->shape[2] || shape[3] != in->shape[3])
      return std::nullopt;
    skipped_.insert(transpose);
    skipped_.insert(back);
    Step s = layer("channel_shuffle", std::to_string(to[1]));
    s.output = r.output(0);
    return s;
  }

  /// A run's nodes after the first are folded into its step.
  void take(const NodeRun &run) {
    for (std::size_t i = 1; i < run.nodes.size(); ++i) skipped_.insert(run.nodes[i]);
  }

  /// A layer norm over the last dimension (`kind` layernorm, or layernorm2d where a Transpose
  /// pair around it is taken too) from `run`, with its weight and bias.
  Step layer_norm(const LayerNormRun &run, const char *kind) {
    const Value *x = value(run.input);
    const bool flat = x && x->has_shape && x->shape.size() == 2;
    if (std::string(kind) == "layernorm" && !flat && !channels_last(run.input)) {
      refuse("it normalizes the last dimension of a tensor that is not channels-last or N×F; cnngen's layernorm "
             "normalizes features, or the channels of each pixel after a Transpose (0, 2, 3, 1)");
      return {};
    }
    take(run);
    std::string args = std::abs(run.eps - 1e-5f) > 1e-12f ? "eps=" + decimal(run.eps) : "";
    if (run.weight.empty()) args += std::string(args.empty() ? "" : ", ") + "elementwise_affine=false";
    Step s = layer(kind, args);
    s.inputs = {run.input};
    s.output = run.output;
    if (run.weight.empty()) return s;
    const Constant &w = *value(run.weight)->constant;
    s.name = layer_name(run.weight, "layernorm");
    s.weights.emplace_back(s.name + ".weight", weight_tensor(w));
    // nn.LayerNorm always has a bias; LayerNormalization's B is optional.
    WeightTensor bias = run.bias.empty() ? filled_tensor(w.dims, 0.0f) : weight_tensor(*value(run.bias)->constant);
    s.weights.emplace_back(s.name + ".bias", std::move(bias));
    return s;
  }

  /// Transpose (0, 2, 3, 1) or (0, 3, 1, 2): permute to channels-last and back; torchvision's
  /// LayerNorm2d (Transpose, layer norm over the channels, Transpose back) as one layernorm2d.
  Step transpose() {
    const std::vector<std::int64_t> perm = ints_attribute(*node_, "perm");
    const Value *in = value(node_->input(0));
    const bool to_last = perm == std::vector<std::int64_t>{0, 2, 3, 1}, to_first = perm == std::vector<std::int64_t>{0, 3, 1, 2};
    if (!in || !in->has_shape || in->shape.size() != 4 || (!to_last && !to_first) ||
        to_last == channels_last(node_->input(0))) {
      refuse("it is not a Transpose (0, 2, 3, 1) of an N×C×H×W tensor or (0, 3, 1, 2) back; cnngen's tensors keep "
             "their layout but for that pair (torch's permute in ConvNeXt)");
      return {};
    }
    if (to_last) {
      const Value *out = value(node_->output(0));
      for (int reader : out ? out->consumers : std::vector<int>{}) {
        std::optional<LayerNormRun> run = match_layer_norm(graph_, reader);
        if (!run || run->input != node_->output(0) || out->is_output) continue;
        bool inside = true;  // every reader of the transposed value is in the run
        for (int r : out->consumers) inside = inside && std::count(run->nodes.begin(), run->nodes.end(), r) > 0;
        const int back = sole_consumer(run->output);
        if (!inside || back < 0) continue;
        const onnx::NodeProto &b = *graph_.nodes[static_cast<std::size_t>(back)];
        if (b.op_type() != "Transpose" || ints_attribute(b, "perm") != std::vector<std::int64_t>{0, 3, 1, 2}) continue;
        run->nodes.push_back(back);
        run->nodes.insert(run->nodes.begin(), index_);
        run->input = node_->input(0);
        run->output = b.output(0);
        return layer_norm(*run, "layernorm2d");
      }
    }
    return layer("permute", to_last ? "(0, 2, 3, 1)" : "(0, 3, 1, 2)");
  }

  /// The padding layer `kind` with window `w`'s extra padding, as a step of its own before the
  /// window's layer: the value it gives.
  std::string pad_before(const char *kind, const Window &w) {
    Step pad = layer(kind, padding_text(w.extra));
    pad.output = node_->output(0) + " (padded)";
    pad.origin = describe(*node_);
    push(std::move(pad));
    return node_->output(0) + " (padded)";
  }

  /// Pad of the height and width: nn.ZeroPad2d, nn.ConstantPad2d (mode constant), nn.ReflectionPad2d
  /// (reflect), nn.ReplicationPad2d (edge); nothing where it pads nothing.
  Step pad() {
    const std::optional<std::vector<std::int64_t>> pads = integer_input(1, ints_attribute(*node_, "pads"), "pads");
    if (!pads) return {};
    bool none = true;
    for (std::int64_t p : *pads) none = none && p == 0;
    if (none) return alias();
    const Value *in = value(node_->input(0));
    const std::vector<std::int64_t> &p = *pads;
    if (!in || !in->has_shape || in->shape.size() != 4 || p.size() != 8 || p[0] || p[1] || p[4] || p[5]) {
      refuse("it pads other than the height and width of an N×C×H×W tensor; cnngen's padding layers pad images");
      return {};
    }
    for (std::int64_t v : p) {
      if (v < 0) {
        refuse("it crops (a negative pad); cnngen's padding layers only pad");
        return {};
      }
    }
    const std::int64_t sides[4] = {p[3], p[7], p[2], p[6]};  // left, right, top, bottom
    const std::string mode = string_attribute(*node_, "mode", "constant");
    if (mode == "reflect") return layer("reflectionpad2d", padding_text(sides));
    if (mode == "edge") return layer("replicationpad2d", padding_text(sides));
    if (mode != "constant") {
      refuse("its mode '" + mode + "' is not constant, reflect or edge");
      return {};
    }
    float fill = 0;
    if (node_->input_size() > 2 && !node_->input(2).empty()) {
      const Value *v = value(node_->input(2));
      if (!v || !v->constant || v->constant->integer || v->constant->count() != 1) {
        refuse("its constant_value is not a constant float");
        return {};
      }
      fill = v->constant->floats[0];
    }
    if (fill == 0) return layer("zeropad2d", padding_text(sides));
    if (!std::isfinite(fill)) {
      refuse("it pads with " + decimal(fill) + ", which a .net file cannot write");
      return {};
    }
    return layer("constantpad2d", padding_text(sides) + ", " + decimal(fill));
  }

  Step map(const onnx::NodeProto &node) {
    const std::string &op = node.op_type();
    if (!node.domain().empty() && node.domain() != "ai.onnx") {
      refuse("its operator is in domain '" + node.domain() + "', not ONNX's own");
      return {};
    }
    if (node.input_size() < 1 || node.output_size() < 1) {
      refuse("it has no input or no output");
      return {};
    }
    if (op == "Conv") return conv();
    if (op == "BatchNormalization") return batch_norm();
    if (op == "MaxPool") return pool(true);
    if (op == "AveragePool") return pool(false);
    if (op == "GlobalAveragePool") return layer("adaptiveavgpool2d", "1");
    if (op == "GlobalMaxPool") return layer("adaptivemaxpool2d", "1");
    if (op == "Relu") return layer("relu");
    if (op == "Tanh") return layer("tanh");
    if (op == "HardSwish") return layer("hardswish");
    if (op == "Sigmoid" || op == "HardSigmoid") {
      if (is_gate()) return skip();
      if (op == "Sigmoid") return layer("sigmoid");
      if (hard_sigmoid_is_pytorchs(node)) return layer("hardsigmoid");
      return hard_sigmoid();
    }
    if (op == "LeakyRelu") return layer("leaky_relu", decimal(float_attribute(node, "alpha", 0.01f)));
    if (op == "Clip") return clip();
    if (op == "Softmax") return softmax();
    if (op == "Flatten") return flatten();
    if (op == "Reshape") {
      if (std::optional<Step> shuffle = channel_shuffle()) return *shuffle;
      return reshape();
    }
    if (op == "Split") return split();
    if (op == "Slice") return slice();
    if (op == "ReduceMean" || op == "LayerNormalization") {
      if (std::optional<LayerNormRun> run = match_layer_norm(graph_, index_)) return layer_norm(*run, "layernorm");
      if (op == "LayerNormalization") {
        refuse("it normalizes other than the last dimension, has a computed scale or bias, or gives its mean and "
               "inverse deviation (training); cnngen's layernorm normalizes the last dimension");
        return {};
      }
      if (channels_last(node.input(0))) {
        refuse("it averages a channels-last tensor other than as a layer norm's statistics");
        return {};
      }
      return reduce_mean();
    }
    if (op == "Transpose") return transpose();
    if (op == "Div") {
      if (std::optional<NodeRun> run = match_gelu(graph_, index_)) return gelu(*run);
      refuse("cnngen has no layer for ONNX's Div operator but as part of GELU (x / √2 → Erf → …)");
      return {};
    }
    if (op == "Pad") return pad();
    if (op == "Gemm") return gemm();
    if (op == "MatMul") return matmul();
    if (op == "Add" || op == "Sum") return join("add");
    if (op == "Mul") {
      if (std::optional<Step> g = gated()) return *g;
      if (std::optional<NodeRun> run = match_gelu(graph_, index_)) return gelu(*run);
      return join("mul");
    }
    if (op == "Concat") {
      const Value *in = value(node.input(0));
      const auto rank = in && in->has_shape ? static_cast<std::int64_t>(in->shape.size()) : 0;
      std::int64_t axis = int_attribute(node, "axis", 1);
      if (axis < 0) axis += rank;
      if (rank == 0) {
        refuse("the shape of its first input is unknown");
        return {};
      }
      if (axis != 1) {
        refuse("it concatenates along dimension " + std::to_string(axis) +
               "; cnngen's concat stacks channels or features (dimension 1)");
        return {};
      }
      return join("concat");
    }
    if (op == "Identity") return alias();
    if (op == "Dropout") {
      if (!output_unused(1)) {
        refuse("its mask output is used; at inference dropout is the identity and has none");
        return {};
      }
      return alias();
    }
    refuse("cnngen has no layer for ONNX's " + op + " operator");
    return {};
  }

  Step gelu(const NodeRun &run) {
    take(run);
    Step s = layer("gelu");
    s.inputs = {run.input};
    s.output = run.output;
    return s;
  }

  /// ONNX's HardSigmoid with its own alpha and beta, max(0, min(1, αx + β)): PyTorch's hardsigmoid
  /// (α 1/6, β 1/2) of 6αx + 6β − 3, that affine map a batch norm of mean 0 and variance 1 with
  /// weight 6α and bias 6β − 3 on every channel (folded into a convolution or linear layer before
  /// it where there is one).
  Step hard_sigmoid() {
    const Value *in = value(node_->input(0));
    const std::size_t rank = in && in->has_shape ? in->shape.size() : 0;
    if ((rank != 4 && rank != 2) || in->shape[1] <= 0 || channels_last(node_->input(0))) {
      refuse("its alpha and beta are not PyTorch's (1/6 and 1/2), and its input is not N×C×H×W or N×F, where "
             "cnngen computes it as PyTorch's hardsigmoid of a per-channel affine map");
      return {};
    }
    const float alpha = float_attribute(*node_, "alpha", 0.2f), beta = float_attribute(*node_, "beta", 0.5f);
    const std::vector<std::int64_t> channels{in->shape[1]};
    Step affine = layer(rank == 4 ? "batchnorm2d" : "batchnorm1d", "eps=0.000000000001");
    affine.name = layer_name("", "hardsigmoid_affine");
    affine.weights.emplace_back(affine.name + ".weight", filled_tensor(channels, 6 * alpha));
    affine.weights.emplace_back(affine.name + ".bias", filled_tensor(channels, 6 * beta - 3));
    affine.weights.emplace_back(affine.name + ".running_mean", filled_tensor(channels, 0));
    affine.weights.emplace_back(affine.name + ".running_var", filled_tensor(channels, 1));
    const std::string mapped = node_->output(0) + " (6αx + 6β − 3)";
    affine.output = mapped;
    affine.origin = describe(*node_) + ": alpha " + decimal(alpha) + ", beta " + decimal(beta);
    push(std::move(affine));
    Step s = layer("hardsigmoid");
    s.inputs = {mapped};
    return s;
  }

  /// A node with no step (a gate that gated() folds into its Mul).
  Step skip() {
    ok_ = false;
    return {};
  }

  const Graph &graph_;
  const std::string &file_;
  Diagnostics &diagnostics_;
  std::vector<Step> steps_;
  std::set<std::string> names_;
  std::set<int> skipped_;  // nodes folded into an earlier step (an Add into its MatMul)
  std::set<std::string> channels_last_;  // values N×H×W×C in the .net (after a permute)
  const onnx::NodeProto *node_ = nullptr;
  int index_ = -1;
  bool ok_ = true;
};

}  // namespace

bool writable_name(const std::string &name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  bool part_start = true;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (c == '.' || c == '-') {
      if (part_start || i + 1 == name.size()) return false;
      if (c == '-' && !(std::isalnum(static_cast<unsigned char>(name[i + 1])) || name[i + 1] == '_')) return false;
      part_start = c == '.';
    } else if (!word) {
      return false;
    } else {
      part_start = false;
    }
  }
  return true;
}

// Each scope in the node's name is its parent's path and a dot, then its own name.
std::string module_path(const std::string &node_name) {
  if (node_name.empty() || node_name[0] != '/') return "";
  std::vector<std::string> scopes;
  for (std::size_t at = 1; at < node_name.size();) {
    const std::size_t slash = node_name.find('/', at);
    if (slash == std::string::npos) break;  // the last part is the operator's own name
    scopes.push_back(node_name.substr(at, slash - at));
    at = slash + 1;
  }
  std::string path;
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    const std::string &scope = scopes[i];
    if (i > 0 && scope.compare(0, scopes[i - 1].size() + 1, scopes[i - 1] + ".") == 0) {
      path += scope.substr(scopes[i - 1].size());
    } else {
      path += (path.empty() ? "" : ".") + scope;
    }
  }
  return path;
}

const std::vector<std::string> &mapped_operators() {
  static const std::vector<std::string> operators{
      "Add",      "AveragePool", "BatchNormalization", "Clip",      "Concat",  "Conv",    "Dropout",
      "Flatten",  "Gemm",        "GlobalAveragePool",  "GlobalMaxPool", "HardSigmoid", "HardSwish", "Identity",
      "LeakyRelu", "MatMul",     "MaxPool",            "Mul",       "Pad",     "ReduceMean", "Relu",    "Reshape",
      "Sigmoid",  "Slice",       "Softmax",            "Split",     "Sum",     "Tanh",    "Transpose",
      "LayerNormalization", "Erf"};
  return operators;
}

std::vector<Step> map_nodes(const Graph &graph, const std::string &file, Diagnostics &diagnostics) {
  return Mapper(graph, file, diagnostics).run();
}

}  // namespace cnngen::onnx_import
