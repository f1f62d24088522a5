// Naming and parameter bookkeeping shared by the checks, the weights binding and code generation.
#include "dsl/network.hpp"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#include "dsl/operation_traits.hpp"

namespace cnngen {

std::string parameter_prefix(const Node &node) { return node.path; }

std::vector<Parameter> parameters(const Node &node) {
  return operation_parameters(node.op, parameter_prefix(node) + ".");
}

const char *pad_mode_name(PadMode mode) {
  switch (mode) {
    case PadMode::constant: return "constant";
    case PadMode::reflect: return "reflect";
    case PadMode::replicate: return "replicate";
  }
  return "constant";
}

const char *activation_name(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::relu: return "relu";
    case ActivationKind::sigmoid: return "sigmoid";
    case ActivationKind::tanh: return "tanh";
    case ActivationKind::relu6: return "relu6";
    case ActivationKind::leaky_relu: return "leaky_relu";
    case ActivationKind::silu: return "silu";
    case ActivationKind::hardswish: return "hardswish";
    case ActivationKind::hardsigmoid: return "hardsigmoid";
    case ActivationKind::gelu: return "gelu";
  }
  throw std::logic_error("an activation without a name");
}

std::vector<std::string> ignored_entries(const Node &node) {
  if (std::holds_alternative<BatchNorm>(node.op)) return {node.path + ".num_batches_tracked"};
  return {};
}

std::vector<std::string> enclosing_modules(const std::string &scope) {
  std::vector<std::string> out;
  if (scope.empty()) return out;
  for (std::size_t dot = scope.find('.'); dot != std::string::npos; dot = scope.find('.', dot + 1))
    out.push_back(scope.substr(0, dot));
  out.push_back(scope);
  return out;
}

std::string describe(const Node &node) {
  if (!node.user_name.empty() || node.kind == "add" || node.kind == "mul" || node.kind == "concat")
    return node.kind + " '" + node.path + "'";
  if (node.index < 0) {
    // Unnamed inside a join's branch: its path is the join's, the branch and a count.
    std::size_t count = node.path.rfind('.');
    std::size_t branch = count == std::string::npos ? count : node.path.rfind('.', count - 1);
    if (branch != std::string::npos) {
      int number = std::atoi(node.path.c_str() + branch + 1) + 1;
      return node.kind + " (in branch " + std::to_string(number) + " of '" + node.path.substr(0, branch) + "')";
    }
  }
  if (node.scope.empty()) return node.kind + " (layer " + node.path + ")";
  return node.kind + " '" + node.path + "'";
}

std::string describe(const Shape &shape) {
  std::string out;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) out += "×";
    out += std::to_string(shape[i]);
  }
  return out;
}

std::string describe(const Tensor &tensor) {
  if (!tensor.channels_last) return describe(tensor.shape);
  return describe(Shape{tensor.shape[1], tensor.shape[2], tensor.shape[0]});
}

std::int64_t element_count(const Shape &shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n)) return INT64_MAX;
  }
  return n;
}

}  // namespace cnngen
