// Matching the node runs of one PyTorch module (patterns.hpp).
#include "onnx/patterns.hpp"

#include <cmath>

namespace cnngen::onnx_import {
namespace {

const onnx::NodeProto *node_at(const Graph &graph, int index) {
  return index < 0 || graph.folded[static_cast<std::size_t>(index)] ? nullptr
                                                                     : graph.nodes[static_cast<std::size_t>(index)];
}

/// The sole reader of `value` if it is a `op` node (two inputs where `binary`), else -1.
int reader_of_kind(const Graph &graph, const std::string &value, const char *op, bool binary = false) {
  const int r = sole_reader(graph, value);
  const onnx::NodeProto *n = node_at(graph, r);
  if (!n || n->op_type() != op || n->output_size() < 1 || (binary && n->input_size() != 2)) return -1;
  return r;
}

/// The input of binary node `n` other than `value` (empty where neither or both are it).
std::string other_operand(const onnx::NodeProto &n, const std::string &value) {
  if (n.input_size() != 2 || n.input(0) == n.input(1)) return "";
  if (n.input(0) == value) return n.input(1);
  if (n.input(1) == value) return n.input(0);
  return "";
}

bool near(float value, double expected) { return std::abs(value - expected) <= 1e-5 * std::abs(expected); }

/// Whether ReduceMean `n` averages over the last of its input's `rank` dimensions, keeping it.
bool mean_over_last(const Graph &graph, const onnx::NodeProto &n) {
  const auto found = graph.values.find(n.input(0));
  if (found == graph.values.end() || !found->second.has_shape || n.input_size() != 1) return false;
  const auto rank = static_cast<std::int64_t>(found->second.shape.size());
  const std::vector<std::int64_t> axes = ints_attribute(n, "axes");
  return axes.size() == 1 && (axes[0] == -1 || axes[0] == rank - 1) && int_attribute(n, "keepdims", 1) == 1;
}

/// The float constant named `name` (of any shape), or nothing.
const Constant *float_constant(const Graph &graph, const std::string &name) {
  const auto found = graph.values.find(name);
  if (found == graph.values.end() || !found->second.constant || found->second.constant->integer) return nullptr;
  return &*found->second.constant;
}

/// The `op` node after `run` that applies a 1-D constant to its output, taken into the run: the
/// constant's name, or "" where there is none.
std::string take_vector_operand(const Graph &graph, NodeRun &run, const char *op) {
  const int n = reader_of_kind(graph, run.output, op, true);
  if (n < 0) return "";
  const std::string operand = other_operand(*graph.nodes[static_cast<std::size_t>(n)], run.output);
  const Constant *c = float_constant(graph, operand);
  if (!c || c->dims.size() != 1) return "";
  run.output = graph.nodes[static_cast<std::size_t>(n)]->output(0);
  run.nodes.push_back(n);
  return operand;
}

/// Mul by the weight, then Add of the bias, after a normalization whose output is `run.output`:
/// each taken into the run where it is there.
void affine_tail(const Graph &graph, LayerNormRun &run) {
  run.weight = take_vector_operand(graph, run, "Mul");
  if (!run.weight.empty()) run.bias = take_vector_operand(graph, run, "Add");
}

/// ReduceMean, Sub, Pow 2, ReduceMean, Add ε, Sqrt, Div: F.layer_norm as PyTorch exports it
/// before opset 17, from its first ReduceMean `first`.
std::optional<LayerNormRun> exported_layer_norm(const Graph &graph, int first) {
  const onnx::NodeProto &mean = *graph.nodes[static_cast<std::size_t>(first)];
  if (!mean_over_last(graph, mean)) return std::nullopt;
  const std::string &x = mean.input(0);
  const int sub = reader_of_kind(graph, mean.output(0), "Sub", true);
  if (sub < 0) return std::nullopt;
  const onnx::NodeProto &s = *graph.nodes[static_cast<std::size_t>(sub)];
  if (s.input(0) != x || s.input(1) != mean.output(0)) return std::nullopt;
  // The difference is read by the Pow and the Div only (x may have readers outside the run).
  const Value &d = graph.values.at(s.output(0));
  if (d.is_output || d.consumers.size() != 2) return std::nullopt;
  int pow = -1, div = -1;
  for (int c : d.consumers) {
    const onnx::NodeProto *n = node_at(graph, c);
    if (!n || n->input_size() != 2 || n->input(0) != s.output(0)) return std::nullopt;
    if (n->op_type() == "Pow") pow = c;
    if (n->op_type() == "Div") div = c;
  }
  if (pow < 0 || div < 0) return std::nullopt;
  const onnx::NodeProto &p = *graph.nodes[static_cast<std::size_t>(pow)];
  const std::optional<float> two = scalar_constant(graph, p.input(1));
  if (!two || *two != 2.0f) return std::nullopt;
  const int variance = reader_of_kind(graph, p.output(0), "ReduceMean");
  if (variance < 0 || !mean_over_last(graph, *graph.nodes[static_cast<std::size_t>(variance)])) return std::nullopt;
  const int add = reader_of_kind(graph, graph.nodes[static_cast<std::size_t>(variance)]->output(0), "Add", true);
  if (add < 0) return std::nullopt;
  const onnx::NodeProto &a = *graph.nodes[static_cast<std::size_t>(add)];
  const std::optional<float> eps = scalar_constant(graph, other_operand(a, graph.nodes[static_cast<std::size_t>(variance)]->output(0)));
  if (!eps || !(*eps >= 0)) return std::nullopt;
  const int sqrt = reader_of_kind(graph, a.output(0), "Sqrt");
  if (sqrt < 0 || reader_of_kind(graph, graph.nodes[static_cast<std::size_t>(sqrt)]->output(0), "Div", true) != div ||
      graph.nodes[static_cast<std::size_t>(div)]->input(1) != graph.nodes[static_cast<std::size_t>(sqrt)]->output(0))
    return std::nullopt;
  LayerNormRun run;
  run.input = x;
  run.output = graph.nodes[static_cast<std::size_t>(div)]->output(0);
  run.nodes = {first, sub, pow, variance, add, sqrt, div};
  run.eps = *eps;
  affine_tail(graph, run);
  return run;
}

}  // namespace

int sole_reader(const Graph &graph, const std::string &value) {
  const auto found = graph.values.find(value);
  if (found == graph.values.end() || found->second.is_output || found->second.consumers.size() != 1) return -1;
  return found->second.consumers[0];
}

std::optional<float> scalar_constant(const Graph &graph, const std::string &name) {
  const Constant *c = float_constant(graph, name);
  if (!c || c->floats.size() != 1) return std::nullopt;
  return c->floats[0];
}

std::optional<LayerNormRun> match_layer_norm(const Graph &graph, int first) {
  const onnx::NodeProto *n = node_at(graph, first);
  if (!n) return std::nullopt;
  if (n->op_type() == "ReduceMean") return exported_layer_norm(graph, first);
  if (n->op_type() != "LayerNormalization" || n->input_size() < 2) return std::nullopt;
  const auto x = graph.values.find(n->input(0));
  if (x == graph.values.end() || !x->second.has_shape) return std::nullopt;
  const auto rank = static_cast<std::int64_t>(x->second.shape.size());
  const std::int64_t axis = int_attribute(*n, "axis", -1);
  if (axis != -1 && axis != rank - 1) return std::nullopt;
  for (int extra = 1; extra < n->output_size(); ++extra) {  // Mean and InvStdDev: training only
    const auto v = graph.values.find(n->output(extra));
    if (!n->output(extra).empty() && v != graph.values.end() && (!v->second.consumers.empty() || v->second.is_output))
      return std::nullopt;
  }
  LayerNormRun run;
  run.input = n->input(0);
  run.output = n->output(0);
  run.nodes = {first};
  run.eps = float_attribute(*n, "epsilon", 1e-5f);
  run.weight = n->input(1);
  if (n->input_size() > 2) run.bias = n->input(2);
  const Constant *w = float_constant(graph, run.weight);
  const Constant *b = run.bias.empty() ? nullptr : float_constant(graph, run.bias);
  if (!w || w->dims.size() != 1 || (!run.bias.empty() && (!b || b->dims.size() != 1))) return std::nullopt;
  return run;
}

std::optional<NodeRun> match_gelu(const Graph &graph, int first) {
  // x / √2 (or x · 1/√2) → Erf → + 1 → · x → · ½
  const onnx::NodeProto *scale = node_at(graph, first);
  if (!scale || scale->input_size() != 2 || (scale->op_type() != "Div" && scale->op_type() != "Mul")) return std::nullopt;
  const std::string &x = scale->input(0);
  const std::optional<float> by = scalar_constant(graph, scale->input(1));
  if (!by || !near(*by, scale->op_type() == "Div" ? std::sqrt(2.0) : 1 / std::sqrt(2.0))) return std::nullopt;
  const int erf = reader_of_kind(graph, scale->output(0), "Erf");
  if (erf < 0) return std::nullopt;
  const int plus = reader_of_kind(graph, graph.nodes[static_cast<std::size_t>(erf)]->output(0), "Add", true);
  if (plus < 0) return std::nullopt;
  const onnx::NodeProto &p = *graph.nodes[static_cast<std::size_t>(plus)];
  const std::optional<float> one = scalar_constant(graph, other_operand(p, graph.nodes[static_cast<std::size_t>(erf)]->output(0)));
  if (!one || *one != 1.0f) return std::nullopt;
  const int times_x = reader_of_kind(graph, p.output(0), "Mul", true);
  if (times_x < 0 || other_operand(*graph.nodes[static_cast<std::size_t>(times_x)], p.output(0)) != x) return std::nullopt;
  const std::string &product = graph.nodes[static_cast<std::size_t>(times_x)]->output(0);
  const int half = reader_of_kind(graph, product, "Mul", true);
  if (half < 0) return std::nullopt;
  const std::optional<float> h = scalar_constant(graph, other_operand(*graph.nodes[static_cast<std::size_t>(half)], product));
  if (!h || *h != 0.5f) return std::nullopt;
  NodeRun run;
  run.input = x;
  run.output = graph.nodes[static_cast<std::size_t>(half)]->output(0);
  run.nodes = {first, erf, plus, times_x, half};
  return run;
}

}  // namespace cnngen::onnx_import
