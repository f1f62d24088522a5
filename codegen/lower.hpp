// Lowers a checked Network to a Halide pipeline: the input and weight parameters, one Func per
// layer named after it, and the output. Assumes the Network passed infer_shapes (and, when weights
// are given, check_weights); codegen reports nothing to the user.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Halide.h>

#include "dsl/network.hpp"
#include "codegen/lower_layers.hpp"
#include "codegen/winograd.hpp"
#include "dsl/safetensors.hpp"

namespace cnngen {

struct LoweredLayer {
  const Node *node = nullptr;
  /// Undefined for the identity at inference (dropout, identity) and for a batch norm folded into
  /// the layer before it (folded_into): readers of its output then read its input's Func.
  Halide::Func func;
  Halide::Func input;                    // the Func of the tensor it reads (the first, for joins)
  std::vector<Halide::Func> internals;   // stages inside the layer that the schedule places
  std::optional<Halide::Func> padded;    // conv2d: its zero-padded input, when it has padding
  std::optional<WinogradStages> winograd;  // conv2d computed by Winograd (winograd.hpp)
  /// conv2d, linear, and batch norm lowered unfolded (by role: γ, β, running mean and variance).
  /// A conv2d or linear with a folded batch norm holds the folded weight and bias (a bias even
  /// when the layer declares none).
  LayerWeights weights;
  bool weights_embedded = false;         // packed at compile time; else repacked at run time

  // Fields added for issue 11 (joins and batch norm):
  /// The Funcs of every tensor it reads, in node->inputs order: several for add and concat;
  /// inputs[0] is `input`.
  std::vector<Halide::Func> inputs;
  /// A batch norm lowered unfolded: its scale and shift Funcs over the channel (or feature) alone,
  /// cheap and read by every element, so the schedule should compute them once (compute_root);
  /// left unscheduled they are inlined (correct, but a square root per element).
  std::vector<Halide::Func> per_channel;
  /// A conv2d or linear: the batch norm folded into its weights and bias, whose output tensor
  /// this layer's Func computes; null when none.
  const Node *folded_batch_norm = nullptr;
  /// A batch norm folded into this conv2d or linear node (and so without a Func); else null.
  const Node *folded_into = nullptr;
};

/// Choices of lowering that keep the results (up to float rounding).
struct LowerOptions {
  /// With embedded weights, fold each batch norm that alone reads a conv2d's or linear's output
  /// into that layer's weights and bias at compile time (in double precision). Off: every batch
  /// norm is a per-channel scale and shift.
  bool fold_batch_norm = true;
  /// Let the schedules compute element-wise layers and residual adds in the epilogue of the
  /// convolution or linear layer before them (codegen/plan.hpp). Off: each is stored on its own.
  bool fuse_epilogues = true;
  /// Which 3×3 and 5×5 convolutions Winograd computes (winograd.hpp). Only with embedded weights (it
  /// transforms them at compile time) and without a batch-vectorized copy (small networks).
  ConvAlgorithm conv = ConvAlgorithm::automatic;
  /// Lower each concatenation as one update per input writing its channel slice (lower_concat),
  /// for cnngen's own per-image CPU schedule, which computes a branch's last convolution straight
  /// into its slice. Off: one select over the inputs (the batched copy always takes this form).
  bool concat_slices = false;
  /// Give the output's values a Func of their own (LoweredNetwork::output_values), which cnngen's
  /// CPU schedule stages in transposed blocks. Off for Halide's autoschedulers: with it, Adams2019
  /// scheduled a small network's softmax into wrong values (the Autoschedulers test).
  bool output_values = false;
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
  /// With LowerOptions::output_values, what the output copies: the last layer's values, as a Func
  /// of their own (inlined unless the schedule places it) that the schedule can stage.
  std::optional<Halide::Func> output_values;
  std::vector<LoweredLayer> layers;
  std::vector<WeightArgument> weight_arguments;  // in layer order, weight before bias

  // With a batch-vectorized variant (lower()'s batch_vector > 0): a second copy of the layers,
  // sharing the weights, that the output reads when batched_condition holds (at least
  // batch_vector images); the schedule specializes the output on it.
  std::vector<LoweredLayer> batched_layers;
  Halide::Func batched_input;
  Halide::Expr batched_condition;
  int batch_vector = 0;
  LowerOptions options;  // as lower() was given them, for the schedules

  /// The pipeline's arguments in the order of the generated C function, after the output.
  std::vector<Halide::Argument> arguments() const;
};

/// With `weights`, every parameter is embedded as a constant buffer; without, each becomes an
/// ImageParam argument (in layer order) expecting PyTorch's contiguous layout. With
/// `batch_vector` > 0 the network is lowered twice (see LoweredNetwork::batched_layers). Batch
/// norms are folded as `options` says (only ever with embedded weights).
LoweredNetwork lower(const Network &network, const TensorFile *weights,
                     const std::string &function_name, int batch_vector = 0,
                     const LowerOptions &options = {});

/// The batch norms lower() folds, each mapped to the conv2d or linear node whose output it alone
/// reads (the network's output counts as a reader).
std::map<const Node *, const Node *> foldable_batch_norms(const Network &network);

/// Constrains `param` to exactly `extents` (innermost first), dense, starting at 0.
void constrain(Halide::OutputImageParam param, const std::vector<int> &extents);

/// Halide dimension order of a PyTorch shape with a batch dimension added last: {C, H, W} gives
/// extents W, H, C and then the batch.
std::vector<int> halide_extents(const Shape &shape);

}  // namespace cnngen
