// Binds a layer's written arguments (positional and key=value) to the parameters its kind takes,
// with type and range checks, defaults, and "did you mean" for unknown keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/network.hpp"

namespace cnngen {

/// Largest value any size, channel count or stride may take: shapes stay far from overflow and
/// within Halide's 32-bit indexing.
constexpr std::int64_t kMaxDimension = 1 << 24;

class LayerArguments {
 public:
  /// `names` are every parameter the layer's kind takes; the first `positional` of them may also
  /// be given without a key, in that order, and the rest are keyword-only (Python's `*`). Unknown,
  /// repeated and surplus arguments are reported here.
  /// `keyword_only_note`, where given, says why the keyword-only ones are (how the order differs
  /// from PyTorch's); it is shown with the error for a surplus positional argument.
  LayerArguments(const ast::Layer &layer, std::vector<std::string_view> names,
                 std::size_t positional, Diagnostics &diagnostics, std::string_view keyword_only_note = {});

  /// Each accessor returns the value (or `fallback` when the argument is absent) and nothing after
  /// reporting an error. A missing argument without fallback is an error.
  std::optional<std::int64_t> integer(std::string_view name, std::optional<std::int64_t> fallback,
                                      std::int64_t min);
  std::optional<Pair> pair(std::string_view name, std::optional<Pair> fallback, std::int64_t min);
  std::optional<bool> boolean(std::string_view name, bool fallback);
  /// A tuple of integers, each at least `min` (a single integer is a tuple of one).
  std::optional<std::vector<std::int64_t>> integers(std::string_view name, std::int64_t min);
  std::optional<double> real(std::string_view name, double fallback, double min, double max);

  bool given(std::string_view name) const { return find(name) != nullptr; }
  /// The argument's value if it was given, else the whole layer line.
  SourceRange where(std::string_view name) const;

 private:
  const ast::Argument *find(std::string_view name) const;
  bool check_range(std::string_view name, const ast::Value &value, std::int64_t v, std::int64_t min);
  /// The first positional argument past the first `positional`.
  void report_surplus_positional(const ast::Argument &argument, const std::vector<std::string_view> &names,
                                 std::size_t positional, std::string_view keyword_only_note);
  void type_error(std::string_view name, const ast::Value &value, const char *expected);
  /// A required argument that the layer line does not give.
  void report_missing(std::string_view name);

  const ast::Layer &layer_;
  Diagnostics &diagnostics_;
  std::vector<std::pair<std::string_view, const ast::Argument *>> bound_;
};

/// The candidate closest to `word` if it is a plausible misspelling of it, else empty.
std::string closest_match(std::string_view word, const std::vector<std::string_view> &candidates);

}  // namespace cnngen
