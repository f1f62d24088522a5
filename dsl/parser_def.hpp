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
struct dotted_class;
struct identifier_class : annotate_position {};
struct layer_name_class : annotate_position {};
struct integer_class;
struct expression_class : annotate_position {};
struct or_expression_class : annotate_position {};
struct and_expression_class : annotate_position {};
struct equality_class : annotate_position {};
struct relational_class : annotate_position {};
struct additive_class : annotate_position {};
struct multiplicative_class : annotate_position {};
struct unary_expression_class : annotate_position {};
struct unary_class : annotate_position {};
struct primary_class : annotate_position {};
struct expressions_class;
struct tuple_expression_class : annotate_position {};
struct argument_class : annotate_position {};
struct layer_line_class : annotate_position {};
struct model_decl_class : annotate_position {};
struct dims_class;
struct input_decl_class : annotate_position {};
struct body_class;
struct seq_keyword_class : annotate_position {};
struct branch_keyword_class : annotate_position {};
struct if_keyword_class : annotate_position {};
struct join_kind_class : annotate_position {};
struct sequence_class : annotate_position {};
struct branch_class : annotate_position {};
struct join_class : annotate_position {};
struct conditional_class : annotate_position {};
struct parameter_decl_class : annotate_position {};
struct definition_class : annotate_position {};
struct or_op_class;
struct and_op_class;
struct equality_op_class;
struct relational_op_class;
struct additive_op_class;
struct multiplicative_op_class;
struct unary_op_class;
struct statement_class;
struct end_of_statement_class;
struct separator_class;
struct model_class;

// ---------------------------------------------------------------------------------------------
// Rules
const x3::rule<word_class, std::string> word = "identifier";
const x3::rule<dotted_class, std::string> dotted = "name";
const x3::rule<identifier_class, ast::Identifier> identifier = "identifier";
const x3::rule<layer_name_class, ast::Identifier> layer_name = "name";
const x3::rule<integer_class, std::int64_t> integer = "integer";
const x3::rule<expression_class, ast::Expression> expression = "value";
const x3::rule<or_expression_class, ast::Expression> or_expression = "value";
const x3::rule<and_expression_class, ast::Expression> and_expression = "value";
const x3::rule<equality_class, ast::Expression> equality = "value";
const x3::rule<relational_class, ast::Expression> relational = "value";
const x3::rule<additive_class, ast::Expression> additive = "value";
const x3::rule<multiplicative_class, ast::Expression> multiplicative = "value";
const x3::rule<unary_expression_class, ast::Operand> unary_expression = "value";
const x3::rule<unary_class, ast::Unary> unary = "value";
const x3::rule<primary_class, ast::Operand> primary = "value";
const x3::rule<expressions_class, std::vector<ast::Expression>> expressions = "value";
const x3::rule<tuple_expression_class, ast::TupleExpression> tuple_expression = "tuple";
const x3::rule<argument_class, ast::ArgumentExpression> argument = "argument";
const x3::rule<layer_line_class, ast::LayerLine> layer_line = "layer";
const x3::rule<model_decl_class, ast::ModelDecl> model_decl = "model declaration";
const x3::rule<dims_class, std::vector<std::int64_t>> dims = "dimensions such as 1x28x28";
const x3::rule<input_decl_class, ast::InputDecl> input_decl = "input declaration";
const x3::rule<body_class, std::vector<ast::Statement>> body = "'{'";
const x3::rule<seq_keyword_class, ast::Identifier> seq_keyword = "seq";
const x3::rule<branch_keyword_class, ast::Identifier> branch_keyword = "branch";
const x3::rule<if_keyword_class, ast::Identifier> if_keyword = "if";
const x3::rule<join_kind_class, ast::Identifier> join_kind = "add, mul or concat";
const x3::rule<sequence_class, ast::Sequence> sequence = "seq block";
const x3::rule<branch_class, ast::Branch> branch = "'branch {…}'";
const x3::rule<join_class, ast::Join> join = "join";
const x3::rule<conditional_class, ast::Conditional> conditional = "if block";
const x3::rule<parameter_decl_class, ast::ParameterDecl> parameter_decl = "parameter";
const x3::rule<definition_class, ast::Definition> definition = "definition";
const x3::rule<or_op_class, std::string> or_op = "'or'";
const x3::rule<and_op_class, std::string> and_op = "'and'";
const x3::rule<equality_op_class, std::string> equality_op = "'==' or '!='";
const x3::rule<relational_op_class, std::string> relational_op = "a comparison";
const x3::rule<additive_op_class, std::string> additive_op = "'+' or '-'";
const x3::rule<multiplicative_op_class, std::string> multiplicative_op = "'*', '//' or '%'";
const x3::rule<unary_op_class, std::string> unary_op = "'-' or 'not'";
const x3::rule<statement_class, ast::Statement> statement = "a statement (model, input or a layer)";
const x3::rule<end_of_statement_class> end_of_statement = "end of line";
const x3::rule<separator_class> separator = "end of line";
const x3::rule<model_class, std::vector<ast::Statement>> model = "model";

// ---------------------------------------------------------------------------------------------
// Grammar
// Character classes as explicit sets: X3's alnum/alpha/blank assert on bytes above 0x7F, and a
// model file may hold any bytes.
const auto word_char = x3::char_("a-zA-Z0-9_");
/// A reserved word, not the start of a longer identifier (`model` but not `models`).
const auto keyword = [](const char *word) { return x3::lexeme[x3::lit(word) >> !word_char]; };
const auto keyword_text = [](const char *word) { return x3::lexeme[x3::string(word) >> !word_char]; };
const auto strict_real = x3::real_parser<double, x3::strict_real_policies<double>>{};

const auto word_def = x3::lexeme[x3::char_("a-zA-Z_") >> *word_char];
// A layer's name, possibly a dotted module path with numeric parts (`net.0`); a '-' may join word
// characters, as in the module names torchvision gives RegNet's blocks (`block1-0`).
const auto name_char = word_char | (x3::char_('-') >> &word_char);
const auto dotted_def = x3::lexeme[x3::char_("a-zA-Z_") >> *name_char >> *(x3::char_('.') >> +name_char)];
const auto identifier_def = word;
const auto layer_name_def = dotted;
const auto integer_def = x3::int_parser<std::int64_t>{};

// Expressions, loosest binding first.
const auto expression_def = or_expression;
const auto or_op_def = keyword_text("or");
const auto and_op_def = keyword_text("and");
const auto equality_op_def = x3::string("==") | x3::string("!=");
const auto relational_op_def = x3::string("<=") | x3::string(">=") | x3::string("<") | x3::string(">");
const auto additive_op_def = x3::string("+") | x3::string("-");
const auto multiplicative_op_def = x3::string("//") | x3::string("*") | x3::string("%") | x3::string("/");
const auto unary_op_def = x3::string("-") | keyword_text("not");
const auto or_expression_def = and_expression >> *(or_op > and_expression);
const auto and_expression_def = equality >> *(and_op > equality);
const auto equality_def = relational >> *(equality_op > relational);
const auto relational_def = additive >> *(relational_op > additive);
const auto additive_def = multiplicative >> *(additive_op > multiplicative);
const auto multiplicative_def = unary_expression >> *(multiplicative_op > unary_expression);
const auto unary_expression_def = unary | primary;
const auto unary_def = unary_op > unary_expression;
const auto primary_def = strict_real | integer | tuple_expression | identifier;
// A comma before `)` is a trailing comma, not the start of another item.
const auto expressions_def = expression > *(',' >> !x3::lit(')') > expression);
const auto tuple_expression_def = '(' > expressions > x3::matches[x3::lit(',')] > ')';

// The key is looked ahead first: X3 keeps what a failed optional filled in, and `channels` in
// `conv2d(channels, 3)` must stay a value.
const auto argument_def = -(&(word >> '=' >> !x3::lit('=')) >> identifier >> '=') > expression;
// `()` is an empty argument list, as in PyTorch's nn.Flatten().
const auto layer_line_def =
    identifier >> -layer_name >> -('(' > -(!x3::lit(')') >> (argument % ',')) > ')');
const auto model_decl_def = keyword("model") > identifier;
const auto dims_def = integer >> *('x' > integer);
const auto input_decl_def = keyword("input") > dims;

// Blocks: `{` ends its line (or the block fits on it), `}` closes it.
const auto separator_def = +x3::eol | &x3::lit('}');
const auto body_def = x3::lit('{') > *x3::eol > *((!x3::lit('}')) > statement > separator) > x3::lit('}');
// Keywords kept as identifiers, for the ranges of messages about them.
const auto seq_keyword_def = &keyword("seq") >> word;
const auto branch_keyword_def = &keyword("branch") >> word;
const auto if_keyword_def = &keyword("if") >> word;
const auto join_kind_def = &(keyword("add") | keyword("mul") | keyword("concat")) >> word;
const auto sequence_def = seq_keyword > -layer_name > body;
const auto branch_def = branch_keyword > body;
const auto join_def = join_kind > x3::lit('{') > *x3::eol > *((!x3::lit('}')) > branch > separator) > x3::lit('}');
const auto conditional_def = if_keyword > expression > body > -(keyword("else") > body);
const auto parameter_decl_def = identifier >> -('=' > expression);
const auto definition_def = keyword("def") > identifier > '(' > -(parameter_decl % ',') > ')' > body;

const auto statement_def =
    definition | sequence | join | conditional | model_decl | input_decl | layer_line;
const auto end_of_statement_def = +x3::eol | x3::eoi;
const auto model_def = (*x3::eol >> *((!x3::eoi) > statement > end_of_statement)) > x3::eoi;

BOOST_SPIRIT_DEFINE(word, dotted, identifier, layer_name, integer, expression, or_expression,
                    and_expression, equality, relational, additive, multiplicative, unary_expression,
                    unary, primary, expressions, tuple_expression, argument, layer_line, model_decl, dims, input_decl,
                    body, seq_keyword, branch_keyword, if_keyword, join_kind, sequence, branch, join,
                    conditional, parameter_decl, definition, or_op, and_op, equality_op, relational_op,
                    additive_op, multiplicative_op, unary_op, statement, end_of_statement, separator, model)

// ---------------------------------------------------------------------------------------------
// Skipper: blanks and comments, never line breaks.
const auto skipper = x3::lit(' ') | x3::lit('\t') | x3::lexeme['#' >> *(x3::char_ - x3::eol)];

}  // namespace cnngen::grammar
