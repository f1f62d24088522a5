// The definitions and the input line of a model file; see model_statements.hpp.
#include "dsl/model_statements.hpp"

#include <climits>
#include <set>

#include "dsl/infer_layer.hpp"
#include "dsl/layer_arguments.hpp"

namespace cnngen {

namespace x3 = boost::spirit::x3;

const ast::Definition *as_definition(const ast::Statement &statement) {
  const auto *definition = boost::get<x3::forward_ast<ast::Definition>>(&statement.get());
  return definition ? &definition->get() : nullptr;
}

Definitions collect_definitions(const ast::Model &model, Diagnostics &diagnostics) {
  Definitions definitions;
  for (const ast::Statement &statement : model.statements) {
    const ast::Definition *found = as_definition(statement);
    if (!found) continue;
    const ast::Definition &definition = *found;
    const std::string &name = definition.name.name;
    if (is_layer_kind(name)) {
      diagnostics.error(definition.name.range, "'" + name + "' is a built-in layer")
          .with_help("give the definition another name");
      continue;
    }
    auto [it, fresh] = definitions.emplace(name, &definition);
    if (!fresh) {
      diagnostics.error(definition.name.range, "'" + name + "' is defined twice")
          .note(it->second->name.range, "the first definition is here");
    }
    std::set<std::string> parameters;
    for (const ast::ParameterDecl &p : definition.parameters) {
      if (!parameters.insert(p.name.name).second) {
        diagnostics.error(p.name.range, "'" + name + "' has two parameters named '" + p.name.name + "'");
      }
    }
  }
  return definitions;
}

bool declare_input(const ast::InputDecl &decl, Network &network, Diagnostics &diagnostics) {
  network.input_range = decl.range;
  if (decl.dims.size() != 1 && decl.dims.size() != 3) {
    diagnostics
        .error(decl.range, "input must be C×H×W (an image) or F (features), not " +
                               std::to_string(decl.dims.size()) + " dimensions")
        .with_help("write for example 'input 1x28x28'; the batch size is chosen at run time");
    return false;
  }
  for (std::int64_t d : decl.dims) {
    if (d < 1 || d > kMaxDimension) {
      diagnostics.error(decl.range, "input dimension " + std::to_string(d) + " must lie in [1, " +
                                        std::to_string(kMaxDimension) + "]");
      return false;
    }
  }
  Shape shape(decl.dims.begin(), decl.dims.end());
  if (element_count(shape) > INT_MAX) {
    diagnostics.error(decl.range, "input " + describe(shape) +
                                      " has more than 2^31−1 elements per image");
    return false;
  }
  network.tensors.push_back({std::move(shape), -1});
  network.input = network.output = 0;
  return true;
}

}  // namespace cnngen
