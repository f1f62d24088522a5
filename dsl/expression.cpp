// Expression evaluation; see expression.hpp.
#include "dsl/expression.hpp"

#include "dsl/layer_arguments.hpp"
#include "dsl/overloaded.hpp"

namespace cnngen {
namespace {

class Evaluator {
 public:
  Evaluator(const Environment &environment, Diagnostics &diagnostics)
      : environment_(environment), diagnostics_(diagnostics) {}

  std::optional<ExpressionValue> expression(const ast::Expression &e) {
    auto value = operand(e.first, e.range);
    for (const ast::Operation &step : e.rest) {
      if (!value) return std::nullopt;
      auto right = operand(step.operand, e.range);
      if (!right) return std::nullopt;
      value = binary(step.op, *value, *right, e.range);
    }
    return value;
  }

 private:
  std::optional<ExpressionValue> operand(const ast::Operand &o, SourceRange around) {
    SourceRange where = o.range.end > o.range.begin ? o.range : around;
    return boost::apply_visitor(
        Overloaded{
            [&](double v) -> std::optional<ExpressionValue> { return v; },
            [&](std::int64_t v) -> std::optional<ExpressionValue> { return v; },
            [&](const ast::Identifier &name) { return identifier(name); },
            [&](const ast::TupleExpression &tuple) { return this->tuple(tuple); },
            [&](const ast::Unary &u) { return unary(u, where); },
            [&](const ast::Expression &e) { return expression(e); },
        },
        o);
  }

  std::optional<ExpressionValue> identifier(const ast::Identifier &name) {
    if (name.name == "true") return true;
    if (name.name == "false") return false;
    auto found = environment_.find(name.name);
    if (found != environment_.end()) return found->second;
    std::vector<std::string_view> names;
    for (const auto &[parameter, value] : environment_) names.push_back(parameter);
    std::string suggestion = closest_match(name.name, names);
    if (!suggestion.empty()) {
      diagnostics_.error(name.range, "unknown name '" + name.name + "'")
          .with_fix("did you mean '" + suggestion + "'?", name.range, suggestion);
      return std::nullopt;
    }
    return Word{name.name};
  }

  std::optional<ExpressionValue> tuple(const ast::TupleExpression &t) {
    // Parentheses around one value without a comma only group it: `(a + b) // 2`, `(4 * 4)`.
    if (t.items.size() == 1 && !t.trailing_comma) return expression(t.items.front());
    Tuple items;
    for (const ast::Expression &item : t.items) {
      auto value = expression(item);
      if (!value) return std::nullopt;
      const auto *integer = std::get_if<std::int64_t>(&*value);
      if (!integer) {
        diagnostics_.error(item.range, std::string("tuple items must be integers, not ") +
                                           type_name(*value));
        return std::nullopt;
      }
      items.push_back(*integer);
    }
    return items;
  }

  std::optional<ExpressionValue> unary(const ast::Unary &u, SourceRange where) {
    auto value = operand(u.operand, where);
    if (!value) return std::nullopt;
    if (u.op == "not") {
      if (const auto *b = std::get_if<bool>(&*value)) return !*b;
      return type_error("not", *value, where, "a boolean");
    }
    if (const auto *i = std::get_if<std::int64_t>(&*value)) {
      if (*i == INT64_MIN) return overflow(where);
      return -*i;
    }
    if (const auto *d = std::get_if<double>(&*value)) return -*d;
    return type_error("-", *value, where, "a number");
  }

  std::optional<ExpressionValue> binary(const std::string &op, const ExpressionValue &left,
                                        const ExpressionValue &right, SourceRange where) {
    if (op == "and" || op == "or") {
      const auto *a = std::get_if<bool>(&left);
      const auto *b = std::get_if<bool>(&right);
      if (!a) return type_error(op, left, where, "a boolean");
      if (!b) return type_error(op, right, where, "a boolean");
      return op == "and" ? (*a && *b) : (*a || *b);
    }
    if (op == "==" || op == "!=") {
      bool equal;
      if (left.index() == right.index() && !std::holds_alternative<Word>(left)) {
        equal = left == right;
      } else if (is_number(left) && is_number(right)) {
        equal = as_double(left) == as_double(right);
      } else {
        diagnostics_.error(where, "cannot compare " + std::string(type_name(left)) + " with " +
                                      type_name(right));
        return std::nullopt;
      }
      return op == "==" ? equal : !equal;
    }
    if (!is_number(left)) return type_error(op, left, where, "a number");
    if (!is_number(right)) return type_error(op, right, where, "a number");
    if (op == "<") return as_double(left) < as_double(right);
    if (op == "<=") return as_double(left) <= as_double(right);
    if (op == ">") return as_double(left) > as_double(right);
    if (op == ">=") return as_double(left) >= as_double(right);
    if (op == "/") {
      diagnostics_.error(where, "'/' is not defined on sizes")
          .with_help("write '//' for integer division, as Python does (D2L: num_channels // 2)");
      return std::nullopt;
    }
    const auto *a = std::get_if<std::int64_t>(&left);
    const auto *b = std::get_if<std::int64_t>(&right);
    if (!a || !b) {
      if (op == "//" || op == "%") {
        return type_error(op, a ? right : left, where, "an integer");
      }
      double x = as_double(left), y = as_double(right);
      return op == "+" ? x + y : op == "-" ? x - y : x * y;
    }
    std::int64_t result = 0;
    if (op == "+" && !__builtin_add_overflow(*a, *b, &result)) return result;
    if (op == "-" && !__builtin_sub_overflow(*a, *b, &result)) return result;
    if (op == "*" && !__builtin_mul_overflow(*a, *b, &result)) return result;
    if (op == "//" || op == "%") {
      if (*b == 0) {
        diagnostics_.error(where, "division by zero");
        return std::nullopt;
      }
      if (*a == INT64_MIN && *b == -1) return overflow(where);
      // Python's floor division and modulo: the remainder takes the divisor's sign.
      std::int64_t q = *a / *b, r = *a % *b;
      if (r != 0 && ((r < 0) != (*b < 0))) {
        --q;
        r += *b;
      }
      return op == "//" ? q : r;
    }
    return overflow(where);
  }

  static bool is_number(const ExpressionValue &v) {
    return std::holds_alternative<std::int64_t>(v) || std::holds_alternative<double>(v);
  }
  static double as_double(const ExpressionValue &v) {
    if (const auto *i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    return std::get<double>(v);
  }

  std::optional<ExpressionValue> type_error(const std::string &op, const ExpressionValue &value,
                                            SourceRange where, const char *expected) {
    if (const auto *word = std::get_if<Word>(&value)) {
      diagnostics_.error(where, "unknown name '" + word->text + "'");
      return std::nullopt;
    }
    diagnostics_.error(where, "'" + op + "' needs " + expected + ", not " + type_name(value));
    return std::nullopt;
  }

  std::optional<ExpressionValue> overflow(SourceRange where) {
    diagnostics_.error(where, "integer overflow");
    return std::nullopt;
  }

  const Environment &environment_;
  Diagnostics &diagnostics_;
};

}  // namespace

std::optional<ExpressionValue> evaluate(const ast::Expression &expression,
                                        const Environment &environment, Diagnostics &diagnostics) {
  return Evaluator(environment, diagnostics).expression(expression);
}

ast::Value to_argument_value(const ExpressionValue &value, SourceRange range) {
  ast::Value out = std::visit(
      Overloaded{
          [](std::int64_t v) { return ast::Value(v); },
          [](double v) { return ast::Value(v); },
          [&](bool v) {
            ast::Identifier word(v ? "true" : "false");
            word.range = range;
            return ast::Value(word);
          },
          [](const Tuple &t) { return ast::Value(ast::Tuple{t}); },
          [&](const Word &w) {
            ast::Identifier word(w.text);
            word.range = range;
            return ast::Value(word);
          },
      },
      value);
  out.range = range;
  return out;
}

const char *type_name(const ExpressionValue &value) {
  return std::visit(Overloaded{
                        [](std::int64_t) { return "an integer"; },
                        [](double) { return "a decimal number"; },
                        [](bool) { return "a boolean"; },
                        [](const Tuple &) { return "a tuple"; },
                        [](const Word &) { return "a word"; },
                    },
                    value);
}

}  // namespace cnngen
