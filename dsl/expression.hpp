// Evaluation of the expressions in arguments, parameter defaults and conditions: integer
// arithmetic (`channels // 2`), comparisons and logic over a definition's parameters.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"

namespace cnngen {

/// A bare word that names no parameter (`maybe`): passed to the layer as written, which says
/// what it expects instead.
struct Word {
  std::string text;
  bool operator==(const Word &other) const { return text == other.text; }
};

using Tuple = std::vector<std::int64_t>;
using ExpressionValue = std::variant<std::int64_t, double, bool, Tuple, Word>;

/// A definition's parameters and their values in one instance.
using Environment = std::map<std::string, ExpressionValue, std::less<>>;

/// Evaluates `expression` over `environment`, or reports why it cannot (a type mismatch, `/`
/// for `//`, division by zero, overflow, a misspelled parameter) and returns nothing.
std::optional<ExpressionValue> evaluate(const ast::Expression &expression,
                                        const Environment &environment, Diagnostics &diagnostics);

/// The value as a layer argument that keeps the expression's range: numbers and tuples as
/// written, booleans and words as the words `true`, `false`, ….
ast::Value to_argument_value(const ExpressionValue &value, SourceRange range);

/// "an integer", "a boolean", …: for messages.
const char *type_name(const ExpressionValue &value);

}  // namespace cnngen
