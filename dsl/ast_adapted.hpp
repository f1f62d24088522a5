// Boost.Fusion adaptation of the AST structs, so that Spirit X3 can fill them.
#pragma once

#include <boost/fusion/include/adapt_struct.hpp>

#include "dsl/ast.hpp"

BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::Tuple, items)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::Argument, key, value)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::Layer, kind, name, arguments)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::ModelDecl, name)
BOOST_FUSION_ADAPT_STRUCT(cnngen::ast::InputDecl, dims)
