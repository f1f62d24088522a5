// From the graph's steps to the .net language's structure: a chain of layers where each value has
// one reader, and a join (add, mul, concat) with one branch per input where the graph forks and
// merges again, found as the step that post-dominates the fork; written as indented text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dsl/diagnostics.hpp"
#include "onnx/map_nodes.hpp"

namespace cnngen::onnx_import {

/// The statements (from the `input` line on, without `model`) that compute `output` from
/// `input` through `steps`, or nothing where the graph is not a series-parallel one of forks and
/// joins (each reported against `file`, naming the value at fault).
std::optional<std::string> write_structure(const std::vector<Step> &steps, const std::string &input,
                                           const std::string &output, const std::string &file,
                                           Diagnostics &diagnostics);

}  // namespace cnngen::onnx_import
