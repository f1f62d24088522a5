// Runs the grammar over a source file and turns X3's expectation failures into diagnostics.
#include "dsl/parser.hpp"

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

}  // namespace

std::optional<ast::Model> parse(const SourceFile &source, Diagnostics &diagnostics) {
  const std::string &text = source.text();
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
