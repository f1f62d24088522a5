// Writing the recovered statements as .net text, with PyTorch's module tree as `seq` blocks: the
// statements whose layers' names (and nodes' module paths) share a module, `layer1` or
// `layer1.0`, become `seq layer1 { … }` or, for a position of an nn.Sequential, `seq { … }`
// where that is the position the language gives it; each layer then carries its name within its
// module (`conv1`), so the state_dict names are unchanged. Where a module cannot be written so,
// its statements stay at the level above, with longer names.
#pragma once

#include <string>
#include <vector>

#include "onnx/map_nodes.hpp"
#include "onnx/net_structure.hpp"

namespace cnngen::onnx_import {

/// The text of `statements` (over `steps`), indented two spaces a level, each line with its ONNX
/// node as a comment; with `modules`, in seq blocks as above, else every layer at its full name.
std::string write_statements(const std::vector<Statement> &statements, const std::vector<Step> &steps, bool modules);

}  // namespace cnngen::onnx_import
