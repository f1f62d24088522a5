// The arithmetic of a window sliding along one spatial axis (convolution and pooling), with D2L's
// formula out = ⌊(n + 2p − d·(k−1) − 1)/s⌋ + 1 and its explanation in words.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dsl/network.hpp"

namespace cnngen {

struct Window {
  std::int64_t kernel = 1, stride = 1, padding = 0, dilation = 1;

  /// Input positions one window covers: d·(k−1)+1.
  std::int64_t span() const { return dilation * (kernel - 1) + 1; }
  /// D2L's output size for input size n; below 1 when the window does not fit. Values are bounded
  /// by kMaxDimension, so nothing overflows.
  std::int64_t output(std::int64_t n) const;
  /// "⌊(28 + 2·2 − 1·(5−1) − 1)/1⌋ + 1 = 28"
  std::string formula(std::int64_t n) const;
  /// Real (not padding) input positions past the last window, which no window reads.
  std::int64_t unread(std::int64_t n) const;
};

/// The height and width windows of a convolution or pooling layer; nothing for other layers.
struct Windows {
  Window h, w;
};
std::optional<Windows> windows_of(const Operation &op);

}  // namespace cnngen
