// The arithmetic of a window sliding along one spatial axis (convolution and pooling), with D2L's
// formula out = ⌊(n + 2p − d·(k−1) − 1)/s⌋ + 1, PyTorch's ceil_mode variant, and their
// explanation in words.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dsl/network.hpp"

namespace cnngen {

struct Window {
  std::int64_t kernel = 1, stride = 1, padding = 0, dilation = 1;
  /// PyTorch's ceil_mode (pooling only): the size rounds up, so a last window may overhang the
  /// padded input, but no window may start past the input (in the right padding or beyond).
  bool ceil_mode = false;

  /// Input positions one window covers: d·(k−1)+1.
  std::int64_t span() const { return dilation * (kernel - 1) + 1; }
  /// The output size for input size n; below 1 when the window does not fit. Values are bounded
  /// by kMaxDimension, so nothing overflows.
  std::int64_t output(std::int64_t n) const;
  /// "⌊(28 + 2·2 − 1·(5−1) − 1)/1⌋ + 1 = 28"; with ceil_mode ⌈…⌉, and where PyTorch drops a last
  /// window that would start past the input, "⌈(5 + 2·1 − 1·(2−1) − 1)/2⌉ + 1 = 4, less the
  /// window that would start past the input: 3".
  std::string formula(std::int64_t n) const;
  /// Real (not padding) input positions past the last window, which no window reads.
  std::int64_t unread(std::int64_t n) const;
  /// The most input positions a window may span for input size n: n + 2p, and with ceil_mode
  /// up to s − 1 more (the overhang of a last window that still starts inside the input).
  std::int64_t reach(std::int64_t n) const;
};

/// The height and width windows of a convolution or pooling layer (operation_traits.hpp's
/// windows_of; adaptive pooling's windows differ in size along an axis, so it has none).
struct Windows {
  Window h, w;
};

/// The largest window of adaptive pooling from n to `out` positions: window i spans
/// [⌊i·n/out⌋, ⌈(i+1)·n/out⌉).
std::int64_t adaptive_span(std::int64_t n, std::int64_t out);

}  // namespace cnngen
