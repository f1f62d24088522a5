// The checked graph as JSON; see graph_json.hpp and docs/graph_json.md.
#include "dsl/graph_json.hpp"

#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "dsl/json.hpp"
#include "dsl/operation_traits.hpp"
#include "dsl/symbols.hpp"

namespace cnngen {
namespace {

std::string json_string(std::string_view text) { return json::quoted(text); }

/// The shortest decimal that reads back as `v` (1e-05, 0.5), as Python's repr writes it.
std::string real(double v) {
  char text[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, v);
    if (std::strtod(text, nullptr) == v) break;
  }
  std::string out = text;
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

std::string shape(const Shape &s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string pair(const Pair &p) { return "[" + std::to_string(p.h) + ", " + std::to_string(p.w) + "]"; }

const char *boolean(bool b) { return b ? "true" : "false"; }

const char *pool_kind(PoolKind kind) { return kind == PoolKind::max ? "max" : "average"; }

/// The IR operation's arguments as a JSON object, in PyTorch's terms.
struct Arguments {
  std::string operator()(const Conv2d &c) const {
    return "{\"in_channels\": " + std::to_string(c.in_channels) +
           ", \"out_channels\": " + std::to_string(c.out_channels) +
           ", \"kernel\": " + pair(c.kernel) + ", \"stride\": " + pair(c.stride) +
           ", \"padding\": " + pair(c.padding) + ", \"dilation\": " + pair(c.dilation) +
           ", \"groups\": " + std::to_string(c.groups) + ", \"bias\": " + boolean(c.bias) +
           (c.linear_weight ? ", \"linear_weight\": true" : "") + "}";
  }
  std::string operator()(const Pool2d &p) const {
    return std::string("{\"pool\": \"") + pool_kind(p.kind) + "\", \"kernel\": " + pair(p.kernel) +
           ", \"stride\": " + pair(p.stride) + ", \"padding\": " + pair(p.padding) +
           ", \"ceil_mode\": " + boolean(p.ceil_mode) + ", \"dilation\": " + pair(p.dilation) +
           ", \"count_include_pad\": " + boolean(p.count_include_pad) + "}";
  }
  std::string operator()(const AdaptivePool2d &p) const {
    return std::string("{\"pool\": \"") + pool_kind(p.kind) + "\", \"output\": " + pair(p.output) + "}";
  }
  std::string operator()(const BatchNorm &b) const {
    return "{\"channels\": " + std::to_string(b.channels) + ", \"eps\": " + real(b.eps) +
           ", \"affine\": " + boolean(b.affine) + "}";
  }
  std::string operator()(const Activation &a) const {
    const std::string slope =
        a.kind == ActivationKind::leaky_relu ? ", \"negative_slope\": " + real(a.negative_slope) : "";
    return std::string("{\"function\": \"") + activation_name(a.kind) + "\"" + slope + "}";
  }
  std::string operator()(const Softmax &) const { return "{}"; }
  std::string operator()(const Flatten &) const { return "{}"; }
  std::string operator()(const Linear &l) const {
    return "{\"in_features\": " + std::to_string(l.in_features) + ", \"out_features\": " +
           std::to_string(l.out_features) + ", \"bias\": " + boolean(l.bias) + "}";
  }
  std::string operator()(const Dropout &d) const { return "{\"p\": " + real(d.p) + "}"; }
  std::string operator()(const Identity &) const { return "{}"; }
  std::string operator()(const Add &) const { return "{}"; }
  std::string operator()(const Mul &) const { return "{}"; }
  std::string operator()(const Concat &) const { return "{}"; }
  std::string operator()(const ChannelSlice &s) const {
    return "{\"start\": " + std::to_string(s.start) + ", \"length\": " + std::to_string(s.length) + "}";
  }
  std::string operator()(const ChannelShuffle &s) const { return "{\"groups\": " + std::to_string(s.groups) + "}"; }
  std::string operator()(const Pad2d &p) const {
    return std::string("{\"mode\": \"") + pad_mode_name(p.mode) + "\", \"padding\": [" + std::to_string(p.left) + ", " +
           std::to_string(p.right) + ", " + std::to_string(p.top) + ", " + std::to_string(p.bottom) +
           "], \"value\": " + real(p.value) + "}";
  }
  std::string operator()(const LayerNorm &l) const {
    return "{\"channels\": " + std::to_string(l.channels) + ", \"eps\": " + real(l.eps) +
           ", \"affine\": " + boolean(l.affine) + "}";
  }
  std::string operator()(const Permute &p) const {
    return std::string("{\"dims\": ") + (p.to_channels_last ? "[0, 2, 3, 1]" : "[0, 3, 1, 2]") + "}";
  }
  std::string operator()(const ParameterTensor &p) const {
    std::string dims;
    for (std::int64_t d : p.shape) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
    return "{\"shape\": [" + dims + "]}";
  }
};

const char *role(ParameterRole r) {
  switch (r) {
    case ParameterRole::weight: return "weight";
    case ParameterRole::bias: return "bias";
    case ParameterRole::running_mean: return "running_mean";
    case ParameterRole::running_var: return "running_var";
  }
  throw std::logic_error("a parameter role without a name");
}

std::string position(const SourceFile &source, std::size_t offset) {
  SourceLocation at = source.location(offset);
  return "{\"line\": " + std::to_string(at.line) + ", \"column\": " + std::to_string(at.column) + "}";
}

}  // namespace

void print_graph_json(const Network &network, const SourceFile &source, std::ostream &out) {
  out << "{\"format\": \"cnngen-graph\", \"version\": " << kGraphJsonVersion
      << ",\n \"model\": " << json_string(network.name) << ", \"file\": " << json_string(source.name())
      << ",\n \"input\": " << network.input << ", \"output\": " << network.output << ",\n \"tensors\": [";
  for (std::size_t i = 0; i < network.tensors.size(); ++i) {
    const Tensor &t = network.tensors[i];
    out << (i ? ",\n  " : "\n  ") << "{\"id\": " << i << ", \"shape\": " << shape(t.shape)
        << ", \"producer\": " << (t.producer < 0 ? "null" : std::to_string(t.producer)) << "}";
  }
  out << "],\n \"nodes\": [";
  for (std::size_t i = 0; i < network.nodes.size(); ++i) {
    const Node &node = network.nodes[i];
    const std::string arguments = visit_operation(node.op, Arguments{});
    out << (i ? ",\n  " : "\n  ") << "{\"id\": " << i << ", \"path\": " << json_string(node.path)
        << ", \"scope\": " << json_string(node.scope)
        << ", \"name\": " << (node.user_name.empty() ? "null" : json_string(node.user_name))
        << ", \"kind\": " << json_string(node.kind) << ", \"symbol\": " << json_string(symbol_name(node))
        << ", \"op\": " << json_string(operation_name(node.op))
        << ",\n   \"arguments\": " << arguments << ",\n   \"inputs\": [";
    for (std::size_t j = 0; j < node.inputs.size(); ++j) out << (j ? ", " : "") << node.inputs[j];
    out << "], \"output\": " << node.output
        << ", \"shape\": " << shape(network.tensors[static_cast<std::size_t>(node.output)].shape)
        << ",\n   \"parameters\": [";
    const char *separator = "";
    for (const Parameter &p : parameters(node)) {
      out << separator << "{\"name\": " << json_string(p.name) << ", \"shape\": " << shape(p.shape)
          << ", \"role\": \"" << role(p.role) << "\"}";
      separator = ", ";
    }
    out << "], \"ignored\": [";
    separator = "";
    for (const std::string &entry : ignored_entries(node)) {
      out << separator << json_string(entry);
      separator = ", ";
    }
    out << "],\n   \"source\": {\"start\": " << position(source, node.range.begin)
        << ", \"end\": " << position(source, node.range.end) << "}}";
  }
  out << "]}\n";
}

}  // namespace cnngen
