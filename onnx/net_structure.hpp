// From the graph's steps to the .net language's structure: a chain of layers where each value has
// one reader, and a join (add, mul, concat) with one branch per input where the graph forks and
// merges again, found as the step that post-dominates the fork (module_scopes writes it as text).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dsl/diagnostics.hpp"
#include "onnx/map_nodes.hpp"

namespace cnngen::onnx_import {

/// One statement of the recovered structure: a layer, or a join with its branches (each a list of
/// statements; an empty one is the join's input itself).
struct Statement {
  int step = -1;  // in the Steps given to recover_structure
  std::vector<std::vector<Statement>> branches;
};

/// The statements that compute `output` from `input` through `steps`, or nothing where the graph
/// is not a series-parallel one of forks and joins (each reported against `file`, naming the
/// value at fault). Aliases are passed through; the statements' steps read the values they name.
std::optional<std::vector<Statement>> recover_structure(const std::vector<Step> &steps, const std::string &input,
                                                        const std::string &output, const std::string &file,
                                                        Diagnostics &diagnostics);

}  // namespace cnngen::onnx_import
