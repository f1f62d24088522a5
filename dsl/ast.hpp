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

// ---------------------------------------------------------------------------------------------
// Expressions: the arguments of layer lines and instances, defaults and conditions.

struct Unary;
struct Expression;
struct TupleExpression;

/// A literal, a name (a parameter, `true`, `false` or a word), or a nested expression.
struct Operand : x3::variant<double, std::int64_t, Identifier, x3::forward_ast<TupleExpression>,
                             x3::forward_ast<Unary>, x3::forward_ast<Expression>>,
                 Located {
  using base_type::base_type;
  using base_type::operator=;
};

/// `-x`, `not x`
struct Unary : Located {
  std::string op;
  Operand operand;
};

/// One `op operand` step of a left-associative chain.
struct Operation {
  std::string op;  // "or", "and", "==", "<", "+", "//", …
  Operand operand;
};

/// `first op operand op operand …`, all operators of one precedence level.
struct Expression : Located {
  Operand first;
  std::vector<Operation> rest;
};

/// `(a, b)`, or a parenthesized `(a)`. As in Python, only a comma makes a tuple: `(a)` is `a`
/// and `(a,)` a tuple of one.
struct TupleExpression : Located {
  std::vector<Expression> items;
  bool trailing_comma = false;
};

// ---------------------------------------------------------------------------------------------
// Evaluated layer lines: what shape inference reads (dsl/elaborate.cpp evaluates every argument
// expression into a Value that keeps the expression's source range).

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

/// One layer line with its arguments evaluated: `conv2d(6, kernel=5, padding=2)` or, named,
/// `linear fc1(120)`.
struct Layer : Located {
  Identifier kind;
  std::optional<Identifier> name;
  std::vector<Argument> arguments;
};

// ---------------------------------------------------------------------------------------------
// Statements as written.

/// An argument as written: `stride=stride * 2`.
struct ArgumentExpression : Located {
  std::optional<Identifier> key;
  Expression value;
};

/// A layer line as written: `conv2d conv1(channels, 3, padding=1)`; the kind may name a `def`.
/// The name may be a dotted path (`net.0`).
struct LayerLine : Located {
  Identifier kind;
  std::optional<Identifier> name;
  std::vector<ArgumentExpression> arguments;
};

/// `model lenet`
struct ModelDecl : Located {
  Identifier name;
};

/// `input 1x28x28`: the shape of one input image (the batch size is chosen at run time).
struct InputDecl : Located {
  std::vector<std::int64_t> dims;
};

struct Sequence;
struct Join;
struct Conditional;
struct Definition;

struct Statement : x3::variant<ModelDecl, InputDecl, LayerLine, x3::forward_ast<Sequence>,
                               x3::forward_ast<Join>, x3::forward_ast<Conditional>,
                               x3::forward_ast<Definition>> {
  using base_type::base_type;
  using base_type::operator=;
};

/// `seq [name] { … }`: a sub-sequence that is a module of its own (nn.Sequential).
struct Sequence : Located {
  Identifier keyword;
  std::optional<Identifier> name;
  std::vector<Statement> body;
};

/// `branch { … }`: one path of a join, starting from the join's input; empty is the identity.
struct Branch : Located {
  Identifier keyword;
  std::vector<Statement> body;
};

/// `add { branch {…} branch {…} }` or `concat { … }`.
struct Join : Located {
  Identifier kind;
  std::vector<Branch> branches;
};

/// `if condition { … } else { … }`
struct Conditional : Located {
  Identifier keyword;
  Expression condition;
  std::vector<Statement> then_body;
  std::optional<std::vector<Statement>> else_body;
};

/// `channels` or `stride=1` in a definition's parameter list.
struct ParameterDecl : Located {
  Identifier name;
  std::optional<Expression> fallback;
};

/// `def name(parameters) { … }`: a reusable block, used like a layer.
struct Definition : Located {
  Identifier name;
  std::vector<ParameterDecl> parameters;
  std::vector<Statement> body;
};

/// A whole file, statements in source order.
struct Model {
  std::vector<Statement> statements;
};

}  // namespace cnngen::ast
