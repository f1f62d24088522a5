// The top-level statements of a model file besides its layers: the definitions it holds and its
// `input` line. Shared by the statement walk (elaborate.cpp).
#pragma once

#include <map>
#include <string>

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/network.hpp"

namespace cnngen {

using Definitions = std::map<std::string, const ast::Definition *, std::less<>>;

/// The statement's definition, or null for any other statement.
const ast::Definition *as_definition(const ast::Statement &statement);

/// The file's definitions by name; repeats, clashes with built-in layers and repeated parameter
/// names are reported.
Definitions collect_definitions(const ast::Model &model, Diagnostics &diagnostics);

/// Reads `input 1x28x28` into the network's input tensor, or reports why it cannot.
bool declare_input(const ast::InputDecl &decl, Network &network, Diagnostics &diagnostics);

}  // namespace cnngen
