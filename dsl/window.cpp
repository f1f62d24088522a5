// Window arithmetic; see window.hpp.
#include "dsl/window.hpp"

#include <algorithm>

namespace cnngen {

std::int64_t Window::output(std::int64_t n) const {
  std::int64_t numerator = n + 2 * padding - span();
  // Floor division, also for a negative numerator.
  std::int64_t quotient =
      numerator >= 0 ? numerator / stride : -((-numerator + stride - 1) / stride);
  return quotient + 1;
}

std::string Window::formula(std::int64_t n) const {
  return "⌊(" + std::to_string(n) + " + 2·" + std::to_string(padding) + " − " +
         std::to_string(dilation) + "·(" + std::to_string(kernel) + "−1) − 1)/" +
         std::to_string(stride) + "⌋ + 1 = " + std::to_string(output(n));
}

std::int64_t Window::unread(std::int64_t n) const {
  std::int64_t slack = n + 2 * padding - span();
  if (slack < 0) return 0;
  return std::max<std::int64_t>(0, slack % stride - padding);
}

std::optional<Windows> windows_of(const Operation &op) {
  if (const auto *conv = std::get_if<Conv2d>(&op)) {
    return Windows{{conv->kernel.h, conv->stride.h, conv->padding.h, conv->dilation.h},
                   {conv->kernel.w, conv->stride.w, conv->padding.w, conv->dilation.w}};
  }
  if (const auto *pool = std::get_if<Pool2d>(&op)) {
    return Windows{{pool->kernel.h, pool->stride.h, pool->padding.h, 1},
                   {pool->kernel.w, pool->stride.w, pool->padding.w, 1}};
  }
  return std::nullopt;
}

}  // namespace cnngen
