// The syntax tree of a .net model file: plain data as the parser builds it, nothing checked yet.
// Nodes a user can be blamed for carry their SourceRange (set by the parser's annotation handler).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/spirit/home/x3/support/ast/variant.hpp>

#include "dsl/source.hpp"

namespace cnngen::ast {

namespace x3 = boost::spirit::x3;

struct Located {
  SourceRange range;
};

struct Identifier : Located {
  Identifier() = default;
  Identifier(std::string text) : name(std::move(text)) {}
  std::string name;
};

/// `(5, 3)`: a tuple of integers, as PyTorch writes per-dimension sizes.
struct Tuple {
  std::vector<std::int64_t> items;
};

/// An argument's value: a number, a tuple or a word such as `true`.
struct Value : x3::variant<double, std::int64_t, Tuple, Identifier>, Located {
  using base_type::base_type;
  using base_type::operator=;
};

/// `kernel=5`, or a positional `6`.
struct Argument : Located {
  std::optional<Identifier> key;
  Value value;
};

/// One layer line: `conv2d(6, kernel=5, padding=2)` or, named, `linear fc1(120)`.
struct Layer : Located {
  Identifier kind;
  std::optional<Identifier> name;
  std::vector<Argument> arguments;
};

/// `model lenet`
struct ModelDecl : Located {
  Identifier name;
};

/// `input 1x28x28`: the shape of one input image (the batch size is chosen at run time).
struct InputDecl : Located {
  std::vector<std::int64_t> dims;
};

struct Statement : x3::variant<ModelDecl, InputDecl, Layer> {
  using base_type::base_type;
  using base_type::operator=;
};

/// A whole file, statements in source order.
struct Model {
  std::vector<Statement> statements;
};

}  // namespace cnngen::ast
