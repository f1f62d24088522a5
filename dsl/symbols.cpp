// The generated code's names; see symbols.hpp.
#include "dsl/symbols.hpp"

#include <algorithm>
#include <stdexcept>

#include "dsl/operation_traits.hpp"

namespace cnngen {
namespace {

/// The path with every character a C identifier cannot hold ('.', '-') made '_'.
std::string with_underscores(std::string path) {
  for (char &c : path) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!word) c = '_';
  }
  return path;
}

/// The symbol a node would have if no other node's names were in its way.
std::string preferred_symbol(const Node &node) {
  // A named layer inside a numbered scope ("1.0.conv1") would start with a digit, which C
  // identifiers (the generated header's argument names) cannot: it takes its kind first, as
  // unnamed layers do.
  const bool starts_with_digit = !node.path.empty() && node.path[0] >= '0' && node.path[0] <= '9';
  return node.user_name.empty() || starts_with_digit ? node.kind + "_" + with_underscores(node.path)
                                                     : with_underscores(node.path);
}

std::string role_name(const Parameter &parameter) {
  return parameter.name.substr(parameter.name.rfind('.') + 1);
}

/// Every name generated for `node` if its symbol were `symbol`.
std::vector<std::string> names_for(const Node &node, const std::string &symbol) {
  std::vector<std::string> names;
  for (const std::string &stage : {symbol, symbol + kBatchedSuffix}) {
    for (const char *stage_suffix : suffix::kStages) names.push_back(stage + stage_suffix);
    if (std::holds_alternative<Concat>(node.op)) {
      for (std::size_t j = 0; j < node.inputs.size(); ++j)
        names.push_back(stage + suffix::reduction + std::to_string(j));
    }
  }
  std::vector<std::string> parameter_names;
  for (const Parameter &parameter : parameters(node)) parameter_names.push_back(symbol + "_" + role_name(parameter));
  // A convolution or linear layer without a bias gains one when a batch norm folds into it.
  if (is_head(node.op) && parameter_names.size() == 1) parameter_names.push_back(symbol + "_bias");
  for (const std::string &name : parameter_names) {
    for (const std::string &parameter_suffix :
         {std::string(), std::string(suffix::data), std::string(suffix::packed), std::string(suffix::winograd),
          std::string(suffix::winograd) + suffix::data}) {
      names.push_back(name + parameter_suffix);
    }
  }
  return names;
}

/// Gives `node` the first of its preferred symbol, symbol_2, symbol_3, … none of whose names is
/// in `taken`, and adds them.
void assign_symbol(Node &node, std::set<std::string> &taken) {
  const std::string preferred = preferred_symbol(node);
  for (int k = 1;; ++k) {
    std::string symbol = k == 1 ? preferred : preferred + "_" + std::to_string(k);
    std::vector<std::string> names = names_for(node, symbol);
    bool free = std::none_of(names.begin(), names.end(), [&](const std::string &n) { return taken.count(n) > 0; });
    if (!free) continue;
    taken.insert(names.begin(), names.end());
    node.symbol = std::move(symbol);
    return;
  }
}

}  // namespace

void assign_symbols(Network &network) {
  std::set<std::string> taken;
  for (bool named : {true, false}) {
    for (Node &node : network.nodes) {
      if (node.user_name.empty() != named) assign_symbol(node, taken);
    }
  }
}

const std::string &symbol_name(const Node &node) {
  if (node.symbol.empty()) throw std::logic_error(describe(node) + " has no symbol: assign_symbols() was not run");
  return node.symbol;
}

std::string parameter_symbol(const Node &node, const Parameter &parameter) {
  return symbol_name(node) + "_" + role_name(parameter);
}

std::vector<std::string> generated_names(const Node &node) { return names_for(node, symbol_name(node)); }

ModelNames::ModelNames(const Network &network) {
  for (const Node &node : network.nodes) {
    std::vector<std::string> names = generated_names(node);
    taken_.insert(names.begin(), names.end());
  }
}

std::string ModelNames::take(const std::string &preferred) {
  for (int k = 1;; ++k) {
    std::string name = k == 1 ? preferred : preferred + "_" + std::to_string(k);
    if (taken_.insert(name).second) return name;
  }
}

}  // namespace cnngen
