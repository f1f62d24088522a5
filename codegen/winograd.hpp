// Winograd F(2×2, 3×3) convolution (Lavin and Gray, 2015): every 2×2 block of outputs of a 3×3,
// stride-1 convolution from the 4×4 block of input under it, with 16 multiplies per input and
// output channel where the direct convolution takes 36:
//   Y = Aᵀ [ Σ_c (G g Gᵀ) ⊙ (Bᵀ d B) ] A.
// The weights are transformed at compile time in double precision (so only embedded weights take
// this path); the input transform, the 16 products summed over the input channels, and the output
// transform are three stages that the CPU schedule (schedule_cpu.cpp) places tile by tile.
#pragma once

#include <optional>
#include <string>

#include <Halide.h>

#include "codegen/conv_algorithm.hpp"
#include "codegen/lower_layers.hpp"
#include "dsl/network.hpp"
#include "dsl/safetensors.hpp"

namespace cnngen {

/// The stages of a convolution lowered by Winograd, for the schedule.
struct WinogradStages {
  /// Bᵀ d B: (e, f, c, tx, ty, n), e and f in [0, 4), tile (tx, ty) covering outputs 2tx, 2ty.
  Halide::Func input;
  /// Σ_c U ⊙ V: (e, f, k, tx, ty, n) for output channel k.
  Halide::Func product;
};

/// Whether F(2×2, 3×3) computes `conv` exactly as defined: a 3×3 kernel, stride 1, no dilation,
/// one group. (The output then needs no other condition: tiles past the edge read zeros.)
bool winograd_computes(const Conv2d &conv);

/// Whether `algorithm` puts `conv` on the Winograd path: for `winograd` wherever it computes the
/// layer and the output channels are a multiple of 16, never for `direct`, and for `automatic`
/// where it was measured faster (docs/performance.md): at least 64 input and output channels.
bool use_winograd(const Conv2d &conv, ConvAlgorithm algorithm);

/// U = G g Gᵀ for every output channel k and input channel c of PyTorch's (out, in, 3, 3) weight,
/// computed in double precision and embedded as the Func `name` over (e, f, c, k). Its buffer
/// holds blocks of 64 output channels (else 32, else 16), each block contiguous for each product
/// (e, f) with the output channel innermost, so that a register tile streams one sequential run.
Halide::Func winograd_weights(const WeightTensor &weight, const std::string &name);

/// The convolution `conv` of `in` with the transformed weights `transformed` (winograd_weights())
/// and `bias` (k); fills `stages`.
Halide::Func lower_conv2d_winograd(const Conv2d &conv, const Value &in, const Halide::Func &transformed,
                                   const std::optional<Halide::Func> &bias, const std::string &name,
                                   WinogradStages &stages);

}  // namespace cnngen
