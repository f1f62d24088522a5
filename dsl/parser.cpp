// Runs the grammar over a source file and turns X3's expectation failures into diagnostics.
#include "dsl/parser.hpp"

#include <cctype>

#include "dsl/parser_def.hpp"

namespace cnngen {
namespace {

/// X3 names literal characters as 'c'; rules by their given names. Both read well after "expected".
std::string describe_expected(const std::string &which) {
  if (which == "eoi") return "end of file";
  if (which == "eol") return "end of line";
  return which;
}

/// What stands at `offset`, for "expected X, found Y".
std::string describe_found(const std::string &text, std::size_t offset) {
  if (offset >= text.size()) return "end of file";
  char c = text[offset];
  if (c == '\n' || c == '\r') return "end of line";
  std::size_t end = offset + 1;
  auto is_word = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
  if (is_word(c)) {
    while (end < text.size() && is_word(text[end]) && end - offset < 40) ++end;
  }
  return "'" + text.substr(offset, end - offset) + "'";
}

/// Reports the first integer literal too large for 64 bits (the grammar would only say that it
/// expected a value there). Digits inside identifiers and comments are not literals.
bool check_integer_sizes(const std::string &text, Diagnostics &diagnostics) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == 'x' && i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1]))) {
      // The separator of dimensions such as 1x28x28.
    } else if (word(c) && !std::isdigit(static_cast<unsigned char>(c))) {
      while (i + 1 < text.size() && word(text[i + 1])) ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t begin = i > 0 && text[i - 1] == '-' ? i - 1 : i;
      std::size_t end = i;
      while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
      if (end - i > 18) {
        std::string literal = text.substr(begin, std::min<std::size_t>(end - begin, 40));
        diagnostics.error({begin, end}, "integer " + literal + (end - begin > 40 ? "…" : "") +
                                            " is too large")
            .with_help("sizes and counts are at most 16777216");
        return false;
      }
      i = end - 1;
    }
  }
  return true;
}

/// Reports blocks or parentheses nested deeper than a model needs: the grammar descends once per
/// level, and hostile input must not exhaust the stack. Brackets in comments do not count.
bool check_nesting(const std::string &text, Diagnostics &diagnostics) {
  constexpr int kMaxDepth = 64;
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '(' || c == '{') {
      if (++depth > kMaxDepth) {
        diagnostics.error({i, i + 1}, "blocks and parentheses nested more than " +
                                          std::to_string(kMaxDepth) + " deep")
            .with_help("use a definition (`def`) for a block used inside others");
        return false;
      }
    } else if ((c == ')' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace

std::optional<ast::Model> parse(const SourceFile &source, Diagnostics &diagnostics) {
  const std::string &text = source.text();
  if (!check_integer_sizes(text, diagnostics) || !check_nesting(text, diagnostics)) return std::nullopt;
  grammar::Iterator first = text.begin();
  ast::Model model;
  auto parser = boost::spirit::x3::with<grammar::source_begin_tag>(text.begin())[grammar::model];
  try {
    if (boost::spirit::x3::phrase_parse(first, text.end(), parser, grammar::skipper, model.statements))
      return model;
    diagnostics.error({0, 0}, "this is not a model file");
  } catch (const boost::spirit::x3::expectation_failure<grammar::Iterator> &failure) {
    auto offset = static_cast<std::size_t>(failure.where() - text.begin());
    while (offset < text.size() && (text[offset] == ' ' || text[offset] == '\t')) ++offset;
    diagnostics.error({offset, offset + 1}, "expected " + describe_expected(failure.which()) +
                                                ", found " + describe_found(text, offset));
  }
  return std::nullopt;
}

}  // namespace cnngen
