// The algorithm of each layer kind as Halide Funcs (no scheduling here; see schedule_cpu.hpp).
// Image tensors are Funcs over (x, y, c, n), feature tensors over (f, n): the NCHW layout of
// PyTorch read from the innermost dimension out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <Halide.h>

#include "dsl/network.hpp"

namespace cnngen {

/// A tensor during lowering: the Func computing it and its per-image shape.
struct Value {
  Halide::Func func;
  Shape shape;
};

/// A conv2d weight transformed for Winograd F(m×m, r×r) (winograd.hpp): (e, f, in, out), e and f
/// in [0, m + r - 1).
struct WinogradWeights {
  Halide::Func transformed;
  int tile;    // m
  int kernel;  // r
  /// The side of an input tile and of the products: m + r - 1.
  int points() const { return tile + kernel - 1; }
};

/// A layer's trainable tensors as Funcs indexed like Halide reads PyTorch's layout, filled by each
/// Parameter's role: a conv2d weight as (kw, kh, in, out), a linear weight as (in, out), a bias as
/// (out); batch norm's weight (γ, undefined when not affine), bias (β), running mean and variance
/// as (channel).
struct LayerWeights {
  Halide::Func weight;
  std::optional<Halide::Func> bias;
  std::optional<Halide::Func> running_mean;  // batch norm only
  std::optional<Halide::Func> running_var;   // batch norm only
  /// A conv2d computed by Winograd (winograd.hpp): its weight transformed for its tile.
  std::optional<WinogradWeights> winograd;
};

/// `padded` receives the zero-padded input stage when the convolution pads, for the schedule.
/// With `clamp_rows`, the input's rows are read clamped to its height (the same values: a
/// convolution without padding reads no row outside): an expansion computed inside a depthwise
/// convolution's strips (plan.hpp, strip_reader) reads rows whose bounds Halide's sliding window
/// leaves too loose to prove inside the input, which its checks then refuse.
Halide::Func lower_conv2d(const Conv2d &conv, const Value &in, const LayerWeights &weights,
                          const std::string &name, std::optional<Halide::Func> &padded, bool clamp_rows = false);
/// With ceil_mode, windows may overhang the padded input on the far side: max pooling reads −∞
/// there, average pooling divides each window by its part inside the padded input.
Halide::Func lower_pool2d(const Pool2d &pool, const Value &in, const std::string &name);

/// The input padded as nn.ZeroPad2d, nn.ConstantPad2d, nn.ReflectionPad2d or nn.ReplicationPad2d pads it.
Halide::Func lower_pad2d(const Pad2d &pad, const Value &in, const std::string &name);
/// PyTorch's adaptive pooling: each output reads its own window [⌊i·n/o⌋, ⌈(i+1)·n/o⌉), through a
/// reduction over the largest window with the taps past a window's end left out.
Halide::Func lower_adaptive_pool2d(const AdaptivePool2d &pool, const Value &in,
                                   const std::string &name);
/// Batch norm as y = x·scale + shift with scale = γ/√(var + eps) and shift = β − mean·scale per
/// channel (or feature), as PyTorch computes it at inference. The scale and shift Funcs (over the
/// channel alone) are returned in `per_channel` for the schedule to compute once.
Halide::Func lower_batch_norm(const BatchNorm &norm, const Value &in, const LayerWeights &weights,
                              const std::string &name, std::vector<Halide::Func> &per_channel);
Halide::Func lower_activation(const Activation &activation, const Value &in,
                              const std::string &name);
/// Softmax over the channels; its max, exp and sum stages are returned in `internals`, which the
/// schedule must place (they are not cheap enough to inline).
Halide::Func lower_softmax(const Value &in, const std::string &name,
                           std::vector<Halide::Func> &internals);
Halide::Func lower_flatten(const Value &in, const std::string &name);
Halide::Func lower_linear(const Linear &linear, const Value &in, const LayerWeights &weights,
                          const std::string &name);
/// The element-wise sum of `inputs` (all of one shape), in their order.
Halide::Func lower_add(const std::vector<Value> &inputs, const std::string &name);
/// Layer normalization over the channels (features) at each position; `weights` null without
/// affine parameters. `internals` receives the mean and 1/√(variance + eps).
Halide::Func lower_layer_norm(const LayerNorm &norm, const Value &in, const LayerWeights *weights,
                              const std::string &name, std::vector<Halide::Func> &internals);
/// A parameter tensor of `shape` read as a layer's output, with the dimensions of `in`'s Func
/// where the ranks agree (a mul broadcasts it).
Halide::Func lower_parameter(const Value &in, const Shape &shape, const LayerWeights &weights,
                             const std::string &name);
/// Channels [start, start + length) of the input, read where they lie.
Halide::Func lower_channel_slice(const ChannelSlice &slice, const Value &in, const std::string &name);
/// The input's channels shuffled as nn.ChannelShuffle(groups) shuffles them.
Halide::Func lower_channel_shuffle(const ChannelShuffle &shuffle, const Value &in, const std::string &name);
/// The inputs' product, each broadcast to `out_shape` (dimensions of 1 read at 0), as torch.mul.
Halide::Func lower_mul(const std::vector<Value> &inputs, const Shape &out_shape, const std::string &name);
/// `inputs` stacked along the channels in order: channel c reads input j at c − (channels before j).
/// With `slices`, an undefined pure definition and one update per input, each writing the input's
/// own channel slice over a reduction domain (so that a schedule can compute an input's tiles
/// straight into its slice); else one pure definition that selects the input holding c.
Halide::Func lower_concat(const std::vector<Value> &inputs, const std::string &name, bool slices);

}  // namespace cnngen
