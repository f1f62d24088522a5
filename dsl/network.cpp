// Naming and parameter bookkeeping shared by the checks, the weights binding and code generation.
#include "dsl/network.hpp"

#include <cstdint>

namespace cnngen {

std::string parameter_prefix(const Node &node) {
  return node.user_name.empty() ? std::to_string(node.index) : node.user_name;
}

std::vector<Parameter> parameters(const Node &node) {
  std::string prefix = parameter_prefix(node);
  std::vector<Parameter> out;
  if (const auto *conv = std::get_if<Conv2d>(&node.op)) {
    out.push_back({prefix + ".weight",
                   {conv->out_channels, conv->in_channels / conv->groups, conv->kernel.h,
                    conv->kernel.w}});
    if (conv->bias) out.push_back({prefix + ".bias", {conv->out_channels}});
  } else if (const auto *linear = std::get_if<Linear>(&node.op)) {
    out.push_back({prefix + ".weight", {linear->out_features, linear->in_features}});
    if (linear->bias) out.push_back({prefix + ".bias", {linear->out_features}});
  }
  return out;
}

std::string symbol_name(const Node &node) {
  return node.user_name.empty() ? node.kind + "_" + std::to_string(node.index) : node.user_name;
}

std::vector<std::string> generated_names(const Node &node) {
  const std::string symbol = symbol_name(node);
  std::vector<std::string> names;
  for (const std::string &stage : {symbol, symbol + kBatchedSuffix}) {
    for (const char *suffix : {"", "_r", "_padded", "_max", "_exp", "_sum"}) names.push_back(stage + suffix);
  }
  for (const char *suffix : {"_weight", "_weight_data", "_bias", "_bias_data", "_weight_packed",
                             "_bias_packed"}) {
    names.push_back(symbol + suffix);
  }
  return names;
}

std::vector<std::string> reserved_names(const std::string &model_name) {
  return {"input", "input_values", model_name, model_name + "_output"};
}

std::string describe(const Node &node) {
  if (!node.user_name.empty()) return node.kind + " '" + node.user_name + "'";
  return node.kind + " (layer " + std::to_string(node.index) + ")";
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
