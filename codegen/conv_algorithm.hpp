// How convolutions are computed (`cnngen --conv=`), apart from Halide so that the driver's options
// can name it: directly, or by Winograd F(2×2, 3×3) or F(4×4, 3×3) (winograd.hpp) where it
// computes the layer, or chosen per layer where it was measured faster.
#pragma once

namespace cnngen {

enum class ConvAlgorithm { automatic, direct, winograd, winograd4 };

}  // namespace cnngen
