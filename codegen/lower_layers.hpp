// The algorithm of each layer kind as Halide Funcs (no scheduling here; see schedule.hpp).
// Image tensors are Funcs over (x, y, c, n), feature tensors over (f, n): the NCHW layout of
// PyTorch read from the innermost dimension out.
#pragma once

#include <optional>
#include <string>

#include <Halide.h>

#include "dsl/network.hpp"

namespace cnngen {

/// A tensor during lowering: the Func computing it and its per-image shape.
struct Value {
  Halide::Func func;
  Shape shape;
};

/// A layer's trainable tensors as Funcs indexed like Halide reads PyTorch's layout: a conv2d weight
/// as (kw, kh, in, out), a linear weight as (in, out), a bias as (out).
struct LayerWeights {
  Halide::Func weight;
  std::optional<Halide::Func> bias;
};

/// `padded` receives the zero-padded input stage when the convolution pads, for the schedule.
Halide::Func lower_conv2d(const Conv2d &conv, const Value &in, const LayerWeights &weights,
                          const std::string &name, std::optional<Halide::Func> &padded);
Halide::Func lower_pool2d(const Pool2d &pool, const Value &in, const std::string &name);
Halide::Func lower_activation(const Activation &activation, const Value &in,
                              const std::string &name);
/// Softmax over the channels; its max, exp and sum stages are returned in `internals`, which the
/// schedule must place (they are not cheap enough to inline).
Halide::Func lower_softmax(const Value &in, const std::string &name,
                           std::vector<Halide::Func> &internals);
Halide::Func lower_flatten(const Value &in, const std::string &name);
Halide::Func lower_linear(const Linear &linear, const Value &in, const LayerWeights &weights,
                          const std::string &name);

}  // namespace cnngen
