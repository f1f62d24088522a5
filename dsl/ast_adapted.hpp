// Boost.Fusion adaptation of the AST structs, so that Spirit X3 can fill them.
#pragma once

#include <boost/fusion/include/adapt_struct.hpp>

#include "dsl/ast.hpp"

BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::Unary, op, operand)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::Operation, op, operand)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::Expression, first, rest)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::TupleExpression, items, trailing_comma)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::ArgumentExpression, key, value)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::LayerLine, kind, name, arguments)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::ModelDecl, name)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::InputDecl, dims)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::Sequence, keyword, name, body)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::Branch, keyword, body)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::Join, kind, branches)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::Conditional, keyword, condition, then_body, else_body)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::ParameterDecl, name, fallback)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::Definition, name, parameters, body)
