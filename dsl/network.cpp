// Naming and parameter bookkeeping shared by the checks, the weights binding and code generation.
#include "dsl/network.hpp"

#include <cstdint>

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

namespace {

std::string mangled(std::string path) {
  for (char &c : path) {
    if (c == '.') c = '_';
  }
  return path;
}

}  // namespace

std::string symbol_name(const Node &node) {
  return node.user_name.empty() ? node.kind + "_" + mangled(node.path) : mangled(node.path);
}

std::string parameter_symbol(const Node &node, const Parameter &parameter) {
  return symbol_name(node) + "_" + parameter.name.substr(parameter.name.rfind('.') + 1);
}

std::vector<std::string> generated_names(const Node &node) {
  const std::string symbol = symbol_name(node);
  std::vector<std::string> names;
  for (const std::string &stage : {symbol, symbol + kBatchedSuffix}) {
    for (const char *stage_suffix : suffix::kStages) names.push_back(stage + stage_suffix);
  }
  for (const Parameter &parameter : parameters(node)) {
    const std::string name = parameter_symbol(node, parameter);
    for (const char *parameter_suffix : {"", suffix::data, suffix::packed})
      names.push_back(name + parameter_suffix);
  }
  return names;
}

std::vector<std::string> reserved_names(const std::string &model_name) {
  return {"input", "input_values", model_name, model_name + "_output"};
}

std::string describe(const Node &node) {
  if (!node.user_name.empty()) return node.kind + " '" + node.path + "'";
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
