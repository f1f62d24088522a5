// The checks of a join (add, mul, concat): whether its branches' outputs can be summed, multiplied or stacked,
// and, when not, an error at the join that shows each branch's chain of shapes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/network.hpp"

namespace cnngen {

/// One branch as walked: where it is, what it produced, and the `if` conditions found false in it.
struct WalkedBranch {
  SourceRange range;
  int output = -1;                    // tensor index; the join's input for an empty branch
  std::size_t first_node = 0;         // the nodes it added: [first_node, end_node)
  std::size_t end_node = 0;
  std::vector<SourceRange> false_conditions;
};

/// The join's output shape, or nothing after reporting why its branches do not fit together.
/// `kind` is "add", "mul" or "concat"; `input` the tensor every branch starts from.
std::optional<Shape> check_join(const ast::Identifier &kind, int input,
                                const std::vector<WalkedBranch> &branches, const Network &network,
                                Diagnostics &diagnostics);

}  // namespace cnngen
