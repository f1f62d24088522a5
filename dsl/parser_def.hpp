// The grammar of .net files in Spirit X3. Line breaks end statements, so the skipper skips only
// blanks and `#` comments; `>` marks where the parser commits, which is where errors point.
#pragma once

#include <boost/spirit/home/x3.hpp>

#include "dsl/ast.hpp"
#include "dsl/ast_adapted.hpp"

namespace cnngen::grammar {

namespace x3 = boost::spirit::x3;
using Iterator = std::string::const_iterator;

/// Key under which the parse context holds the start of the text, to turn iterators into offsets.
struct source_begin_tag;

/// Stores the source range of every AST node that derives from ast::Located.
struct annotate_position {
  template <typename Node, typename Context>
  void on_success(Iterator first, Iterator last, Node &node, const Context &context) {
    if constexpr (std::is_base_of_v<ast::Located, Node>) {
      Iterator begin = x3::get<source_begin_tag>(context);
      node.range = {static_cast<std::size_t>(first - begin), static_cast<std::size_t>(last - begin)};
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Rule IDs
struct word_class;
struct identifier_class : annotate_position {};
struct integer_class;
struct integers_class;
struct tuple_class;
struct value_class : annotate_position {};
struct argument_class : annotate_position {};
struct layer_class : annotate_position {};
struct model_decl_class : annotate_position {};
struct dims_class;
struct input_decl_class : annotate_position {};
struct statement_class;
struct end_of_statement_class;
struct model_class;

// ---------------------------------------------------------------------------------------------
// Rules
const x3::rule<word_class, std::string> word = "identifier";
const x3::rule<identifier_class, ast::Identifier> identifier = "identifier";
const x3::rule<integer_class, std::int64_t> integer = "integer";
const x3::rule<integers_class, std::vector<std::int64_t>> integers = "integer";
const x3::rule<tuple_class, ast::Tuple> tuple = "tuple";
const x3::rule<value_class, ast::Value> value = "value";
const x3::rule<argument_class, ast::Argument> argument = "argument";
const x3::rule<layer_class, ast::Layer> layer = "layer";
const x3::rule<model_decl_class, ast::ModelDecl> model_decl = "model declaration";
const x3::rule<dims_class, std::vector<std::int64_t>> dims = "dimensions such as 1x28x28";
const x3::rule<input_decl_class, ast::InputDecl> input_decl = "input declaration";
const x3::rule<statement_class, ast::Statement> statement = "a statement (model, input or a layer)";
const x3::rule<end_of_statement_class> end_of_statement = "end of line";
const x3::rule<model_class, std::vector<ast::Statement>> model = "model";

// ---------------------------------------------------------------------------------------------
// Grammar
// Character classes as explicit sets: X3's alnum/alpha/blank assert on bytes above 0x7F, and a
// model file may hold any bytes.
const auto word_char = x3::char_("a-zA-Z0-9_");
/// A reserved word, not the start of a longer identifier (`model` but not `models`).
const auto keyword = [](const char *word) { return x3::lexeme[x3::lit(word) >> !word_char]; };
const auto strict_real = x3::real_parser<double, x3::strict_real_policies<double>>{};

const auto word_def = x3::lexeme[x3::char_("a-zA-Z_") >> *word_char];
const auto identifier_def = word;
const auto integer_def = x3::int_parser<std::int64_t>{};
const auto integers_def = integer >> *(',' > integer);
const auto tuple_def = '(' > integers > ')';
const auto value_def = strict_real | integer | tuple | identifier;
const auto argument_def = -(identifier >> '=') > value;
// `()` is an empty argument list, as in PyTorch's nn.Flatten().
const auto layer_def = identifier >> -identifier >> -('(' > -(!x3::lit(')') >> (argument % ',')) > ')');
const auto model_decl_def = keyword("model") > identifier;
const auto dims_def = integer >> *('x' > integer);
const auto input_decl_def = keyword("input") > dims;
const auto statement_def = model_decl | input_decl | layer;
const auto end_of_statement_def = +x3::eol | x3::eoi;
const auto model_def = (*x3::eol >> *((!x3::eoi) > statement > end_of_statement)) > x3::eoi;

BOOST_SPIRIT_DEFINE(word, identifier, integer, integers, tuple, value, argument, layer, model_decl, dims, input_decl,
                    statement, end_of_statement, model)

// ---------------------------------------------------------------------------------------------
// Skipper: blanks and comments, never line breaks.
const auto skipper = x3::lit(' ') | x3::lit('\t') | x3::lexeme['#' >> *(x3::char_ - x3::eol)];

}  // namespace cnngen::grammar
