// Lowers a checked Network to a Halide pipeline: the input and weight parameters, one Func per
// layer named after it, and the output. Assumes the Network passed infer_shapes (and, when weights
// are given, check_weights); codegen reports nothing to the user.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <Halide.h>

#include "dsl/network.hpp"
#include "codegen/lower_layers.hpp"
#include "dsl/safetensors.hpp"

namespace cnngen {

struct LoweredLayer {
  const Node *node;
  Halide::Func func;                     // undefined for the identity at inference (dropout)
  Halide::Func input;                    // the Func of the tensor it reads
  std::vector<Halide::Func> internals;   // stages inside the layer that the schedule places
  std::optional<Halide::Func> padded;    // conv2d: its zero-padded input, when it has padding
  LayerWeights weights;                  // conv2d and linear
  bool weights_embedded = false;         // packed at compile time; else repacked at run time
};

/// A weight or bias passed at run time when the library is built without embedded weights.
struct WeightArgument {
  Halide::ImageParam param;
  Parameter parameter;
  const Node *node;
};

struct LoweredNetwork {
  Halide::ImageParam input;
  Halide::Func output;
  std::vector<LoweredLayer> layers;
  std::vector<WeightArgument> weight_arguments;  // in layer order, weight before bias

  // With a batch-vectorized variant (lower()'s batch_vector > 0): a second copy of the layers,
  // sharing the weights, that the output reads when batched_condition holds (at least
  // batch_vector images); the schedule specializes the output on it.
  std::vector<LoweredLayer> batched_layers;
  Halide::Func batched_input;
  Halide::Expr batched_condition;
  int batch_vector = 0;

  /// The pipeline's arguments in the order of the generated C function, after the output.
  std::vector<Halide::Argument> arguments() const;
};

/// With `weights`, every parameter is embedded as a constant buffer; without, each becomes an
/// ImageParam argument (in layer order) expecting PyTorch's contiguous layout. With
/// `batch_vector` > 0 the network is lowered twice (see LoweredNetwork::batched_layers).
LoweredNetwork lower(const Network &network, const TensorFile *weights,
                     const std::string &function_name, int batch_vector = 0);

/// Halide dimension order of a PyTorch shape with a batch dimension added last: {C, H, W} gives
/// extents W, H, C and then the batch.
std::vector<int> halide_extents(const Shape &shape);

}  // namespace cnngen
