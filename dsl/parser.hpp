// Parses the text of a .net model file into its syntax tree.
#pragma once

#include <optional>

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/source.hpp"

namespace cnngen {

/// Parses the whole of `source`. On a syntax error, reports where and what was expected and
/// returns nothing. Assumes nothing about the text: any bytes give a tree or a diagnostic.
std::optional<ast::Model> parse(const SourceFile &source, Diagnostics &diagnostics);

}  // namespace cnngen
