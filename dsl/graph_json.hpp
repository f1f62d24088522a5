// `cnngen json`: the checked graph as JSON, for tools that need the network as cnngen understood
// it (tools/net_to_torch.py builds PyTorch's model from it) instead of parsing .net files again.
// The format is documented in docs/graph_json.md.
#pragma once

#include <ostream>

#include "dsl/network.hpp"
#include "dsl/source.hpp"

namespace cnngen {

/// The format's version, written as "version"; raised when a field changes meaning or goes away.
inline constexpr int kGraphJsonVersion = 1;

/// Writes `network` (checked, from `source`) as one JSON object: the model's name, its tensors
/// with their shapes, every node with its operation's arguments, inputs and output, state_dict
/// parameters and source position.
void print_graph_json(const Network &network, const SourceFile &source, std::ostream &out);

}  // namespace cnngen
