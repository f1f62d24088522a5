// Graphviz output; see dot.hpp.
#include "dsl/dot.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

namespace cnngen {
namespace {

std::string pair(const Pair &p) {
  return p.h == p.w ? std::to_string(p.h) : std::to_string(p.h) + "×" + std::to_string(p.w);
}

std::string kernel(const Pair &p) { return std::to_string(p.h) + "×" + std::to_string(p.w); }

/// Window arguments that differ from their defaults.
void window_arguments(std::ostringstream &out, const Pair &k, const Pair &stride, Pair default_stride,
                      const Pair &padding) {
  out << "kernel " << kernel(k);
  if (stride.h != default_stride.h || stride.w != default_stride.w) out << ", stride " << pair(stride);
  if (padding.h || padding.w) out << ", padding " << pair(padding);
}

/// The arguments that differ from their defaults, in words.
struct Arguments {
  std::ostringstream &out;
  void operator()(const Conv2d &conv) const {
    out << conv.out_channels << ", ";
    window_arguments(out, conv.kernel, conv.stride, {1, 1}, conv.padding);
    if (conv.dilation.h != 1 || conv.dilation.w != 1) out << ", dilation " << pair(conv.dilation);
    if (conv.groups != 1) out << ", groups " << conv.groups;
    if (!conv.bias) out << ", no bias";
  }
  void operator()(const Pool2d &pool) const {
    window_arguments(out, pool.kernel, pool.stride, pool.kernel, pool.padding);
    if (pool.dilation.h != 1 || pool.dilation.w != 1) out << ", dilation " << pair(pool.dilation);
    if (pool.ceil_mode) out << ", ceil_mode";
    if (!pool.count_include_pad) out << ", padding not counted";
  }
  void operator()(const AdaptivePool2d &pool) const { out << "to " << kernel(pool.output); }
  void operator()(const BatchNorm &norm) const {
    out << norm.channels;
    if (norm.eps != 1e-5) out << ", eps " << norm.eps;
    if (!norm.affine) out << ", no affine";
  }
  void operator()(const Linear &linear) const {
    out << linear.out_features;
    if (!linear.bias) out << ", no bias";
  }
  void operator()(const Dropout &dropout) const { out << "p " << dropout.p; }
  void operator()(const Activation &) const {}
  void operator()(const Softmax &) const {}
  void operator()(const Flatten &) const {}
  void operator()(const Identity &) const {}
  void operator()(const Add &) const {}
  void operator()(const Mul &) const {}
  void operator()(const Concat &) const {}
  void operator()(const ChannelSlice &slice) const {
    out << "channels " << slice.start << "…" << slice.start + slice.length - 1;
  }
  void operator()(const ChannelShuffle &shuffle) const { out << shuffle.groups << " groups"; }
  void operator()(const Pad2d &pad) const {
    out << pad_mode_name(pad.mode) << " " << pad.left << ", " << pad.right << ", " << pad.top << ", " << pad.bottom;
    if (pad.mode == PadMode::constant && pad.value != 0) out << ", value " << pad.value;
  }
  void operator()(const LayerNorm &norm) const { out << "eps " << norm.eps; }
  void operator()(const Permute &permute) const { out << (permute.to_channels_last ? "to H×W×C" : "to C×H×W"); }
  void operator()(const ParameterTensor &parameter) const { out << describe(parameter.shape); }
};

std::string node_id(int tensor, const Network &network) {
  int producer = network.tensors[static_cast<std::size_t>(tensor)].producer;
  return producer < 0 ? "input" : "layer" + std::to_string(producer);
}


std::string escaped(const std::string &text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

/// The module tree of the network's scopes: each module's nodes and child modules, in order.
struct Module {
  std::vector<std::size_t> nodes;
  std::vector<std::string> children;
};

class Drawing {
 public:
  Drawing(const Network &network, std::ostream &out) : network_(network), out_(out) {
    for (std::size_t i = 0; i < network.nodes.size(); ++i) {
      std::string parent;
      for (const std::string &module : enclosing_modules(network.nodes[i].scope)) {
        if (!modules_.count(module)) modules_[parent].children.push_back(module);
        modules_[module];
        parent = module;
      }
      modules_[network.nodes[i].scope].nodes.push_back(i);
    }
  }

  void draw_module(const std::string &path, const std::string &indent) {
    const Module &module = modules_[path];
    for (std::size_t i : module.nodes) draw_node(i, indent);
    for (const std::string &child : module.children) {
      out_ << indent << "subgraph \"cluster_" << escaped(child) << "\" {\n"
           << indent << "  label=\"" << escaped(child) << "\"; style=\"rounded\"; color=\"#9aa7bd\";\n";
      draw_module(child, indent + "  ");
      out_ << indent << "}\n";
    }
  }

 private:
  void draw_node(std::size_t i, const std::string &indent) {
    const Node &node = network_.nodes[i];
    out_ << indent << "layer" << i;
    if (std::holds_alternative<Add>(node.op) || std::holds_alternative<Mul>(node.op)) {
      out_ << " [label=\"" << (std::holds_alternative<Add>(node.op) ? "+" : "×") << "\", shape=circle, fillcolor=\"#e6f4ea\", tooltip=\"" << escaped(node.path) << "\"];\n";
      return;
    }
    if (std::holds_alternative<Concat>(node.op)) {
      out_ << " [label=\"concat\", shape=box, style=\"filled\", fillcolor=\"#e6f4ea\", tooltip=\""
           << escaped(node.path) << "\"];\n";
      return;
    }
    std::string title = node.user_name.empty() ? node.kind : node.user_name + ": " + node.kind;
    std::string arguments = describe_arguments(node.op);
    out_ << " [label=\"" << escaped(title) << (arguments.empty() ? "" : "\\n" + arguments) << "\"];\n";
  }

  const Network &network_;
  std::ostream &out_;
  std::map<std::string, Module> modules_;
};

}  // namespace

std::string describe_arguments(const Operation &op) {
  std::ostringstream out;
  visit_operation(op, Arguments{out});
  return out.str();
}

void print_dot(const Network &network, std::ostream &out) {
  out << "digraph \"" << escaped(network.name) << "\" {\n"
      << "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", fontname=\"Helvetica\"];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=10];\n"
      << "  input [label=\"input\", shape=ellipse, fillcolor=\"#fdf3e1\"];\n";
  Drawing drawing(network, out);
  drawing.draw_module("", "  ");
  for (std::size_t i = 0; i < network.nodes.size(); ++i) {
    for (int tensor : network.nodes[i].inputs) {
      out << "  " << node_id(tensor, network) << " -> layer" << i << " [label=\" "
          << describe(network.tensors[static_cast<std::size_t>(tensor)].shape) << "\"];\n";
    }
  }
  out << "  output [label=\"output\", shape=ellipse, fillcolor=\"#fdf3e1\"];\n"
      << "  " << node_id(network.output, network) << " -> output [label=\" "
      << describe(network.tensors[static_cast<std::size_t>(network.output)].shape) << "\"];\n"
      << "}\n";
}

}  // namespace cnngen
