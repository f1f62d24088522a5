// Winograd F(m×m, r×r) convolution (Lavin and Gray, 2015): every m×m block of outputs of an r×r,
// stride-1 convolution from the (m+r-1)×(m+r-1) block of input under it,
//   Y = Aᵀ [ Σ_c (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
// with (m+r-1)² multiplies per input and output channel where the direct convolution takes r²m²:
// F(2×2, 3×3) 16 for 36, F(4×4, 3×3) 36 for 144 (its transformed weights are 4× the direct ones),
// F(2×2, 5×5) 36 for 100 (1.44×).
// The weights are transformed at compile time in double precision (so only embedded weights take
// this path); the input transform, the (m+r-1)² products summed over the input channels, and the
// output transform are stages that the CPU schedule (schedule_cpu.cpp) places tile by tile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <Halide.h>

#include "codegen/conv_algorithm.hpp"
#include "codegen/lower_layers.hpp"
#include "dsl/network.hpp"
#include "dsl/safetensors.hpp"

namespace cnngen {

/// The stages of a convolution lowered by Winograd, for the schedule (its tile m is the layer's
/// weights.winograd->tile).
struct WinogradStages {
  /// Bᵀ d: (e, j, c, tx, ty, n), row j of the input tile transformed along x.
  Halide::Func rows;
  /// Bᵀ d B: (e, f, c, tx, ty, n), e and f in [0, m + r - 1), tile (tx, ty) covering outputs m·tx, m·ty.
  Halide::Func input;
  /// Σ_c U ⊙ V: (e, f, k, tx, ty, n) for output channel k.
  Halide::Func product;
  /// Aᵀ M: (x, f, c, ty, n), output column x of tile row ty, before the transform along y.
  Halide::Func columns;
};

/// Whether F(m×m, r×r) computes `conv` exactly as defined: a 3×3 or 5×5 kernel, stride 1, no
/// dilation, one group. (The output then needs no other condition: tiles past the edge read zeros.)
bool winograd_computes(const Conv2d &conv);

/// The output tile m with which `algorithm` puts `conv` (whose output is `output`) on the Winograd
/// path, or 0 for the direct one: for `winograd` (2) and `winograd4` (4; 5×5 kernels 2) wherever
/// it computes the layer and there are at least 16 output channels, never for `direct`, and for
/// `automatic` where it was measured faster (docs/performance.md): 3×3 kernels with at least 64
/// input and output channels, by F(4×4) where the output is at least 12×12, else by F(2×2); 5×5
/// kernels with at least 48 input and 64 output channels.
int winograd_tile(const Conv2d &conv, const Shape &output, ConvAlgorithm algorithm);

/// U = G g Gᵀ for every output channel k and input channel c of PyTorch's (out, in, r, r) weight,
/// computed in double precision and embedded as the Func `name` over (e, f, c, k). Its buffer
/// holds blocks of 64 output channels (else 32, else 16, else all of them in one), each block
/// contiguous for each product (e, f) with the output channel innermost, so that a register tile
/// streams one sequential run.
WinogradWeights winograd_weights(const WeightTensor &weight, const std::string &name, int tile);

/// The convolution `conv` of `in` with the transformed weights (winograd_weights()) and `bias`
/// (k); fills `stages`.
Halide::Func lower_conv2d_winograd(const Conv2d &conv, const Value &in, const WinogradWeights &weights,
                                   const std::optional<Halide::Func> &bias, const std::string &name,
                                   WinogradStages &stages);

}  // namespace cnngen
