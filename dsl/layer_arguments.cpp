// Argument binding for layer lines; see layer_arguments.hpp.
#include "dsl/layer_arguments.hpp"

#include <algorithm>
#include <sstream>

namespace cnngen {
namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

const char *value_kind(const ast::Value &value) {
  struct Visitor {
    const char *operator()(double) const { return "a decimal number"; }
    const char *operator()(std::int64_t) const { return "an integer"; }
    const char *operator()(const ast::Tuple &) const { return "a tuple"; }
    const char *operator()(const ast::Identifier &) const { return "a word"; }
  };
  return boost::apply_visitor(Visitor{}, value);
}

/// The value as the language writes it: `3`, `0.001`, `(3, 5)`, `true`.
std::string value_text(const ast::Value &value) {
  struct Visitor {
    std::string operator()(double v) const { return number(v); }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(const ast::Tuple &t) const {
      std::string out = "(";
      for (std::size_t i = 0; i < t.items.size(); ++i) out += (i ? ", " : "") + std::to_string(t.items[i]);
      return out + (t.items.size() == 1 ? ",)" : ")");
    }
    std::string operator()(const ast::Identifier &word) const { return word.name; }
  };
  return boost::apply_visitor(Visitor{}, value);
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string_view> &candidates) {
  std::string_view best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (std::string_view candidate : candidates) {
    std::size_t distance = edit_distance(word, candidate);
    bool prefix = candidate.size() >= 2 && word.substr(0, candidate.size()) == candidate;
    if (prefix) distance = std::min<std::size_t>(distance, 1);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return std::string(best);
}

LayerArguments::LayerArguments(const ast::Layer &layer, std::vector<std::string_view> names,
                               std::size_t positional, Diagnostics &diagnostics,
                               std::string_view keyword_only_note)
    : layer_(layer), diagnostics_(diagnostics) {
  const std::string &kind = layer.kind.name;
  std::size_t next_positional = 0;
  for (const ast::Argument &argument : layer.arguments) {
    std::string_view name;
    if (argument.key) {
      name = argument.key->name;
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        Diagnostic &d = diagnostics_.error(argument.key->range,
                                           kind + " has no parameter " + quoted(name));
        std::string suggestion = closest_match(name, names);
        if (!suggestion.empty()) {
          d.with_fix("did you mean " + quoted(suggestion) + "?", argument.key->range, suggestion);
        }
        continue;
      }
    } else {
      const std::size_t at = next_positional++;
      if (at >= positional) {
        // One error, at the first: the others are surplus for the same reason.
        if (at == positional) report_surplus_positional(argument, names, positional, keyword_only_note);
        continue;
      }
      name = names[at];
    }
    if (const ast::Argument *earlier = find(name)) {
      diagnostics_.error(argument.range, kind + " argument " + quoted(name) + " is given twice")
          .note(earlier->range, "first given here");
      continue;
    }
    bound_.emplace_back(name, &argument);
  }
}

void LayerArguments::report_surplus_positional(const ast::Argument &argument,
                                               const std::vector<std::string_view> &names,
                                               std::size_t positional, std::string_view keyword_only_note) {
  const std::string &kind = layer_.kind.name;
  if (names.empty()) {
    diagnostics_.error(argument.range, kind + " takes no arguments").with_help("write '" + kind + "' alone");
    return;
  }
  std::string listed;
  for (std::size_t i = 0; i < positional; ++i) listed += (i ? ", " : "") + quoted(names[i]);
  if (positional == names.size()) {
    diagnostics_.error(argument.range, kind + " takes at most " + std::to_string(positional) + " argument" +
                                           (positional == 1 ? "" : "s") + " (" + listed + ")");
    return;
  }
  // In order, the argument would be the first keyword-only parameter: name its key, which may be
  // what was meant.
  const std::string key(names[positional]);
  std::string takes = positional == 0 ? kind + " takes no positional arguments"
                                      : kind + " takes " + std::to_string(positional) + " positional argument" +
                                            (positional == 1 ? "" : "s") + " (" + listed + ")";
  std::string keyword_only;
  for (std::size_t i = positional; i < names.size(); ++i)
    keyword_only += (i == positional ? "" : i + 1 == names.size() ? " and " : ", ") + quoted(names[i]);
  Diagnostic &d = diagnostics_.error(argument.range, takes + "; " + keyword_only +
                                                         (names.size() - positional == 1 ? " is" : " are") +
                                                         " keyword-only");
  if (!keyword_only_note.empty()) d.note(std::string(keyword_only_note));
  d.with_fix("write " + key + "=" + value_text(argument.value), {argument.range.begin, argument.range.begin},
                key + "=");
}

const ast::Argument *LayerArguments::find(std::string_view name) const {
  for (const auto &[bound_name, argument] : bound_) {
    if (bound_name == name) return argument;
  }
  return nullptr;
}

SourceRange LayerArguments::where(std::string_view name) const {
  const ast::Argument *argument = find(name);
  return argument ? argument->value.range : layer_.range;
}

void LayerArguments::report_missing(std::string_view name) {
  diagnostics_.error(layer_.range, layer_.kind.name + " needs argument " + quoted(name))
      .with_help("write " + layer_.kind.name + "(" + std::string(name) + "=…)");
}

void LayerArguments::type_error(std::string_view name, const ast::Value &value,
                                const char *expected) {
  diagnostics_.error(value.range, layer_.kind.name + " argument " + quoted(name) + " must be " +
                                      expected + ", not " + value_kind(value));
}

bool LayerArguments::check_range(std::string_view name, const ast::Value &value, std::int64_t v,
                                 std::int64_t min) {
  if (v < min) {
    diagnostics_.error(value.range, layer_.kind.name + " argument " + quoted(name) +
                                        " must be at least " + std::to_string(min) + ", got " +
                                        std::to_string(v));
    return false;
  }
  if (v > kMaxDimension) {
    diagnostics_.error(value.range, layer_.kind.name + " argument " + quoted(name) + " is " +
                                        std::to_string(v) + ", more than cnngen's limit of " +
                                        std::to_string(kMaxDimension));
    return false;
  }
  return true;
}

std::optional<std::int64_t> LayerArguments::integer(std::string_view name,
                                                    std::optional<std::int64_t> fallback,
                                                    std::int64_t min) {
  const ast::Argument *argument = find(name);
  if (!argument) {
    if (!fallback) report_missing(name);
    return fallback;
  }
  const auto *v = boost::get<std::int64_t>(&argument->value.get());
  if (!v) {
    type_error(name, argument->value, "an integer");
    return std::nullopt;
  }
  if (!check_range(name, argument->value, *v, min)) return std::nullopt;
  return *v;
}

std::optional<Pair> LayerArguments::pair(std::string_view name, std::optional<Pair> fallback,
                                         std::int64_t min) {
  const ast::Argument *argument = find(name);
  if (!argument) {
    if (!fallback) report_missing(name);
    return fallback;
  }
  const ast::Value &value = argument->value;
  if (const auto *v = boost::get<std::int64_t>(&value.get())) {
    if (!check_range(name, value, *v, min)) return std::nullopt;
    return Pair{*v, *v};
  }
  const auto *tuple = boost::get<ast::Tuple>(&value.get());
  if (!tuple) {
    type_error(name, value, "an integer or a (height, width) pair");
    return std::nullopt;
  }
  if (tuple->items.size() != 2) {
    diagnostics_.error(value.range, layer_.kind.name + " argument " + quoted(name) +
                                        " must be a (height, width) pair, not " +
                                        std::to_string(tuple->items.size()) + " values");
    return std::nullopt;
  }
  if (!check_range(name, value, tuple->items[0], min) ||
      !check_range(name, value, tuple->items[1], min))
    return std::nullopt;
  return Pair{tuple->items[0], tuple->items[1]};
}

std::optional<std::vector<std::int64_t>> LayerArguments::integers(std::string_view name, std::int64_t min) {
  const ast::Argument *argument = find(name);
  if (!argument) {
    report_missing(name);
    return std::nullopt;
  }
  const ast::Value &value = argument->value;
  std::vector<std::int64_t> items;
  if (const auto *v = boost::get<std::int64_t>(&value.get())) {
    items = {*v};
  } else if (const auto *tuple = boost::get<ast::Tuple>(&value.get())) {
    items = tuple->items;
  } else {
    type_error(name, value, "a tuple of integers");
    return std::nullopt;
  }
  for (std::int64_t item : items) {
    if (!check_range(name, value, item, min)) return std::nullopt;
  }
  return items;
}

std::optional<bool> LayerArguments::boolean(std::string_view name, bool fallback) {
  const ast::Argument *argument = find(name);
  if (!argument) return fallback;
  const auto *word = boost::get<ast::Identifier>(&argument->value.get());
  if (word && (word->name == "true" || word->name == "false")) return word->name == "true";
  type_error(name, argument->value, "true or false");
  return std::nullopt;
}

std::optional<double> LayerArguments::real(std::string_view name, double fallback, double min,
                                           double max) {
  const ast::Argument *argument = find(name);
  if (!argument) return fallback;
  double v = 0;
  if (const auto *d = boost::get<double>(&argument->value.get())) {
    v = *d;
  } else if (const auto *i = boost::get<std::int64_t>(&argument->value.get())) {
    v = static_cast<double>(*i);
  } else {
    type_error(name, argument->value, "a number");
    return std::nullopt;
  }
  if (!(v >= min && v <= max)) {
    diagnostics_.error(argument->value.range,
                       layer_.kind.name + " argument " + quoted(name) + " must lie in [" +
                           number(min) + ", " + number(max) + "], got " + number(v));
    return std::nullopt;
  }
  return v;
}

}  // namespace cnngen
