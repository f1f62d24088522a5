// Wraps memory laid out like a contiguous PyTorch tensor (N×C×H×W, N×F, …) as the
// Halide::Runtime::Buffer a generated model takes, without copying. Header-only; no libHalide.
#pragma once

#include <initializer_list>
#include <vector>

#include "HalideBuffer.h"

namespace cnngen {

/// `shape` is PyTorch's, outermost first ({N, C, H, W}); Halide's dimensions are the reverse
/// (x, y, c, n), so the innermost PyTorch dimension becomes Halide's dimension 0.
template <typename T>
Halide::Runtime::Buffer<T> tensor_buffer(T *data, std::initializer_list<int> shape) {
  std::vector<int> extents(shape.begin(), shape.end());
  std::vector<int> reversed(extents.rbegin(), extents.rend());
  return Halide::Runtime::Buffer<T>(data, reversed);
}

}  // namespace cnngen
