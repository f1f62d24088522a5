// Wraps memory laid out like a contiguous PyTorch tensor (N×C×H×W, N×F, …) as the
// Halide::Runtime::Buffer a generated model takes, without copying. Header-only; no libHalide.
#pragma once

#include <initializer_list>
#include <vector>

#include "HalideBuffer.h"

namespace cnngen {

/// `shape` is PyTorch's, outermost first ({N, C, H, W}); Halide's dimensions are the reverse
/// (x, y, c, n), so the innermost PyTorch dimension becomes Halide's dimension 0. The buffer is
/// marked host-dirty (the host holds the data), as a GPU-built model needs of its inputs.
template <typename T>
Halide::Runtime::Buffer<T> tensor_buffer(T *data, std::initializer_list<int> shape) {
  std::vector<int> extents(shape.begin(), shape.end());
  std::vector<int> reversed(extents.rbegin(), extents.rend());
  Halide::Runtime::Buffer<T> buffer(data, reversed);
  // The data is on the host: a model built for a GPU copies it to the device only when marked so.
  buffer.set_host_dirty();
  return buffer;
}

}  // namespace cnngen
