// `cnngen dot`: the network as a Graphviz graph, one box per layer with its arguments, and the
// tensor shapes on the edges.
#pragma once

#include <ostream>

#include "dsl/network.hpp"

namespace cnngen {

void print_dot(const Network &network, std::ostream &out);

/// The layer's arguments in words, as its box shows them: "6, kernel 5×5, padding 2".
std::string describe_arguments(const Operation &op);

}  // namespace cnngen
