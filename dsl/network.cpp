// Naming and parameter bookkeeping shared by the checks, the weights binding and code generation.
#include "dsl/network.hpp"

#include <cstdint>
#include <cstdlib>

namespace cnngen {

std::string parameter_prefix(const Node &node) { return node.path; }

std::vector<Parameter> parameters(const Node &node) {
  const std::string prefix = parameter_prefix(node) + ".";
  using R = ParameterRole;
  struct Visitor {
    const std::string &prefix;
    std::vector<Parameter> operator()(const Conv2d &conv) const {
      std::vector<Parameter> out{{prefix + "weight",
                                  {conv.out_channels, conv.in_channels / conv.groups, conv.kernel.h,
                                   conv.kernel.w},
                                  R::weight}};
      if (conv.bias) out.push_back({prefix + "bias", {conv.out_channels}, R::bias});
      return out;
    }
    std::vector<Parameter> operator()(const Linear &linear) const {
      std::vector<Parameter> out{
          {prefix + "weight", {linear.out_features, linear.in_features}, R::weight}};
      if (linear.bias) out.push_back({prefix + "bias", {linear.out_features}, R::bias});
      return out;
    }
    std::vector<Parameter> operator()(const BatchNorm &norm) const {
      std::vector<Parameter> out;
      if (norm.affine) {
        out.push_back({prefix + "weight", {norm.channels}, R::weight});
        out.push_back({prefix + "bias", {norm.channels}, R::bias});
      }
      out.push_back({prefix + "running_mean", {norm.channels}, R::running_mean});
      out.push_back({prefix + "running_var", {norm.channels}, R::running_var});
      return out;
    }
    std::vector<Parameter> operator()(const Pool2d &) const { return {}; }
    std::vector<Parameter> operator()(const AdaptivePool2d &) const { return {}; }
    std::vector<Parameter> operator()(const Activation &) const { return {}; }
    std::vector<Parameter> operator()(const Softmax &) const { return {}; }
    std::vector<Parameter> operator()(const Flatten &) const { return {}; }
    std::vector<Parameter> operator()(const Dropout &) const { return {}; }
    std::vector<Parameter> operator()(const Identity &) const { return {}; }
    std::vector<Parameter> operator()(const Add &) const { return {}; }
    std::vector<Parameter> operator()(const Concat &) const { return {}; }
  };
  return visit_operation(node.op, Visitor{prefix});
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
  if (!node.user_name.empty() || node.kind == "add" || node.kind == "concat")
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

std::int64_t element_count(const Shape &shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n)) return INT64_MAX;
  }
  return n;
}

}  // namespace cnngen
