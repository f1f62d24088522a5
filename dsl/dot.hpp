// `cnngen dot`: the network as a Graphviz graph, one box per layer with its arguments, the tensor
// shapes on the edges (every input of a join drawn), and one cluster per module instance (a `seq`
// block or a definition's instance) labelled with its path.
#pragma once

#include <ostream>
#include <string>

#include "dsl/network.hpp"

namespace cnngen {

void print_dot(const Network &network, std::ostream &out);

/// The layer's arguments in words, as its box shows them: "6, kernel 5×5, padding 2".
std::string describe_arguments(const Operation &op);

}  // namespace cnngen
