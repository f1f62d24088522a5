// Graphviz output; see dot.hpp.
#include "dsl/dot.hpp"

#include <sstream>

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

std::string node_id(int tensor, const Network &network) {
  int producer = network.tensors[static_cast<std::size_t>(tensor)].producer;
  return producer < 0 ? "input" : "layer" + std::to_string(producer);
}

}  // namespace

std::string describe_arguments(const Operation &op) {
  std::ostringstream out;
  if (const auto *conv = std::get_if<Conv2d>(&op)) {
    out << conv->out_channels << ", ";
    window_arguments(out, conv->kernel, conv->stride, {1, 1}, conv->padding);
    if (conv->dilation.h != 1 || conv->dilation.w != 1) out << ", dilation " << pair(conv->dilation);
    if (conv->groups != 1) out << ", groups " << conv->groups;
    if (!conv->bias) out << ", no bias";
  } else if (const auto *pool = std::get_if<Pool2d>(&op)) {
    window_arguments(out, pool->kernel, pool->stride, pool->kernel, pool->padding);
  } else if (const auto *linear = std::get_if<Linear>(&op)) {
    out << linear->out_features;
    if (!linear->bias) out << ", no bias";
  } else if (const auto *dropout = std::get_if<Dropout>(&op)) {
    out << "p " << dropout->p;
  }
  return out.str();
}

void print_dot(const Network &network, std::ostream &out) {
  out << "digraph \"" << network.name << "\" {\n"
      << "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", fontname=\"Helvetica\"];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=10];\n"
      << "  input [label=\"input\", shape=ellipse, fillcolor=\"#fdf3e1\"];\n";
  for (std::size_t i = 0; i < network.nodes.size(); ++i) {
    const Node &node = network.nodes[i];
    std::string title = node.user_name.empty() ? node.kind : node.user_name + ": " + node.kind;
    std::string arguments = describe_arguments(node.op);
    out << "  layer" << i << " [label=\"" << title << (arguments.empty() ? "" : "\\n" + arguments)
        << "\"];\n";
    for (int tensor : node.inputs) {
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
