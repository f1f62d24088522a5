// Lowers a checked Network to a Halide pipeline, as its plan says (plan.hpp): the input and weight
// parameters, one Func per layer named after it (with the stages of its kind), and the output.
// Assumes the Network passed infer_shapes (and, when weights are given, check_weights); codegen
// reports nothing to the user.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <Halide.h>

#include "codegen/lower_layers.hpp"
#include "codegen/plan.hpp"
#include "codegen/winograd.hpp"
#include "dsl/network.hpp"
#include "dsl/safetensors.hpp"

namespace cnngen {

/// What lowering made for a convolution besides its Func.
struct ConvStages {
  /// By role; with a folded batch norm, the folded weight and bias (a bias even when the layer
  /// declares none).
  LayerWeights weights;
  std::optional<Halide::Func> padded;      // its zero-padded input, where it pads
  std::optional<WinogradStages> winograd;  // computed by Winograd (winograd.hpp)
};

/// A linear layer's weights (folded as a convolution's).
struct LinearStages {
  LayerWeights weights;
};

/// A batch norm lowered unfolded: its weights by role (γ, β, running mean and variance), and its
/// scale and shift over the channel alone, cheap and read by every element, so that the schedule
/// should compute them once (left unscheduled they are inlined: correct, but a square root per
/// element).
struct BatchNormStages {
  LayerWeights weights;
  Halide::Func scale, shift;
};

/// Softmax's maximum, exponentials and sum, which the schedule must place (they are not cheap
/// enough to inline).
struct SoftmaxStages {
  Halide::Func max, exp, sum;
};

/// Layer norm's mean and 1/√(variance + eps) at each pixel, which the schedule must place.
struct LayerNormStages {
  Halide::Func mean, inverse_std;
};

/// Every other kind: its Func alone (or none: dropout, identity, a folded batch norm).
struct NoStages {};

using LayerStages =
    std::variant<NoStages, ConvStages, LinearStages, BatchNormStages, SoftmaxStages, LayerNormStages>;

struct LoweredLayer {
  const Node *node = nullptr;
  /// Undefined for the identity at inference (dropout, identity) and for a batch norm folded into
  /// the layer before it (plan.hpp): readers of its output then read its input's Func.
  Halide::Func func;
  Halide::Func input;  // the Func of the tensor it reads (the first, for joins)
  /// The Funcs of every tensor it reads, in node->inputs order: several for add and concat;
  /// inputs[0] is `input`.
  std::vector<Halide::Func> inputs;
  bool weights_embedded = false;  // packed at compile time; else repacked at run time
  LayerStages stages;

  /// A convolution's or linear layer's stages; asking another kind is an internal error.
  const ConvStages &conv() const;
  const LinearStages &linear() const;
  /// A convolution's or linear layer's weights.
  const LayerWeights &head_weights() const;
  /// The stages the schedule computes once per call (a batch norm's scale and shift), or none.
  std::vector<Halide::Func> per_channel() const;
  /// The stages the schedule places inside the layer's loops (softmax's, layer norm's), or none.
  std::vector<Halide::Func> internals() const;
};

/// A weight or bias passed at run time when the library is built without embedded weights.
struct WeightArgument {
  Halide::ImageParam param;
  Parameter parameter;
  const Node *node;
};

/// How a pipeline's input and output tensors lie in memory: planar, PyTorch's layout (the entry
/// point's), or with the channels innermost, as cnngen's CPU schedule stores the tensors inside a
/// network: the tensors between the parts of a cut network (parts.hpp), which then cross from one
/// part to the next without a transposition either way.
struct BoundaryLayout {
  bool input_channels_innermost = false;
  bool output_channels_innermost = false;
};

struct LoweredNetwork {
  Halide::ImageParam input;
  Halide::Func output;
  /// Where the plan stages the output (SchedulePlan::stage_output), what the output copies: the
  /// last layer's values, as a Func of their own (inlined unless the schedule places it).
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
  /// The plan lower() followed (plan.hpp), which the schedules follow too.
  SchedulePlan plan;
  /// How the input and output are constrained to lie (lower()'s `layout`).
  BoundaryLayout layout;

  /// The pipeline's arguments in the order of the generated C function, after the output.
  std::vector<Halide::Argument> arguments() const;
};

/// With `weights`, every parameter is embedded as a constant buffer; without, each becomes an
/// ImageParam argument (in layer order) expecting PyTorch's contiguous layout. Batch norms fold,
/// concatenations take their form and the output is staged as `plan` says (plan_network with the
/// same `weights`). `conv` picks the convolutions Winograd computes (winograd.hpp; only with
/// embedded weights, which it transforms at compile time, and without a batch-vectorized copy).
/// With `batch_vector` > 0 the network is lowered twice (see LoweredNetwork::batched_layers).
/// `layout`: how the input and output are constrained to lie in memory.
LoweredNetwork lower(const Network &network, const SchedulePlan &plan, const TensorFile *weights,
                     const std::string &function_name, int batch_vector = 0,
                     ConvAlgorithm conv = ConvAlgorithm::automatic, const BoundaryLayout &layout = {});

/// Constrains `param` to exactly `extents` (innermost first), dense, starting at 0; with
/// `channels_innermost` (3 extents: W, H, C) the channels lie innermost, then the columns, then
/// the rows. The batch dimension after them, if any, is left to the caller.
void constrain(Halide::OutputImageParam param, const std::vector<int> &extents, bool channels_innermost = false);

/// Halide dimension order of a PyTorch shape with a batch dimension added last: {C, H, W} gives
/// extents W, H, C and then the batch.
std::vector<int> halide_extents(const Shape &shape);

}  // namespace cnngen
