// Integer helpers that lowering and the CPU schedule's blocking share: plain values, no Halide.
#pragma once

namespace cnngen {

/// ⌈a / b⌉ for positive a and b: how many pieces of b cover a.
template <typename T>
constexpr T ceil_div(T a, T b) {
  return (a + b - 1) / b;
}

}  // namespace cnngen
