// Shape inference: turns the syntax tree into the checked IR, reporting every user mistake.
#pragma once

#include <optional>

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/network.hpp"

namespace cnngen {

/// Most layer lines a model may have.
constexpr int kMaxLayers = 10000;

/// Checks the statements of `model` (one `model`, one `input`, then layers), binds each layer's
/// arguments and infers every tensor's shape with D2L's arithmetic. Reports all independent errors
/// it finds (up to Diagnostics::kMaxErrors) and returns a Network only when there were none.
std::optional<Network> infer_shapes(const ast::Model &model, Diagnostics &diagnostics);

}  // namespace cnngen
