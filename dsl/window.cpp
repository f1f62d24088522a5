// Window arithmetic; see window.hpp.
#include "dsl/window.hpp"

#include <algorithm>

namespace cnngen {
namespace {

/// Floor division, also for a negative numerator (the divisor is positive).
std::int64_t floor_div(std::int64_t numerator, std::int64_t divisor) {
  return numerator >= 0 ? numerator / divisor : -((-numerator + divisor - 1) / divisor);
}

}  // namespace

std::int64_t Window::output(std::int64_t n) const {
  std::int64_t numerator = n + 2 * padding - span();
  if (!ceil_mode) return floor_div(numerator, stride) + 1;
  // PyTorch's pooling_output_shape: round up, then drop a last window that would start past the
  // input (it would read nothing but padding).
  std::int64_t out = floor_div(numerator + stride - 1, stride) + 1;
  if ((out - 1) * stride >= n + padding) --out;
  return out;
}

std::string Window::formula(std::int64_t n) const {
  std::string open = ceil_mode ? "⌈(" : "⌊(", close = ceil_mode ? "⌉" : "⌋";
  std::string text = open + std::to_string(n) + " + 2·" + std::to_string(padding) + " − " +
                     std::to_string(dilation) + "·(" + std::to_string(kernel) + "−1) − 1)/" +
                     std::to_string(stride) + close + " + 1 = ";
  std::int64_t out = output(n);
  if (!ceil_mode) return text + std::to_string(out);
  std::int64_t rounded_up = floor_div(n + 2 * padding - span() + stride - 1, stride) + 1;
  if (rounded_up == out) return text + std::to_string(out);
  return text + std::to_string(rounded_up) +
         ", less the window that would start past the input: " + std::to_string(out);
}

std::int64_t Window::unread(std::int64_t n) const {
  std::int64_t out = output(n);
  if (out < 1) return 0;
  // The last window starts at (out − 1)·s − p in input coordinates and covers span() positions.
  return std::max<std::int64_t>(0, n + padding - (out - 1) * stride - span());
}

std::int64_t Window::reach(std::int64_t n) const {
  return n + 2 * padding + (ceil_mode ? stride - 1 : 0);
}

std::int64_t adaptive_span(std::int64_t n, std::int64_t out) {
  std::int64_t largest = 1;
  for (std::int64_t i = 0; i < out; ++i) {
    std::int64_t begin = i * n / out, end = ((i + 1) * n + out - 1) / out;
    largest = std::max(largest, end - begin);
  }
  return largest;
}

}  // namespace cnngen
