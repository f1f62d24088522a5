// Deterministic pseudo-random tensors, bit for bit the ones tools/deterministic_weights.py makes:
// golden data for big networks without committing their weights.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "dsl/network.hpp"

namespace cnngen::testing {

/// float32 values in [0, 1) from a 32-bit integer hash of (index, seed).
inline std::vector<float> deterministic_uniform(std::size_t count, std::uint32_t seed) {
  std::vector<float> out(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t x = static_cast<std::uint32_t>(i) * 0x9E3779B1u + seed * 0x85EBCA77u;
    x ^= x >> 15;
    x *= 0x2C1B3C6Du;
    x ^= x >> 12;
    x *= 0x297A2D39u;
    x ^= x >> 15;
    out[i] = static_cast<float>(x >> 8) * (1.0f / 16777216.0f);
  }
  return out;
}

/// float32 values in [-bound, bound), as float32(u·2 − 1)·bound.
inline std::vector<float> deterministic_symmetric(std::size_t count, std::uint32_t seed, float bound) {
  std::vector<float> values = deterministic_uniform(count, seed);
  for (float &v : values) v = (v * 2.0f - 1.0f) * bound;
  return values;
}

/// He-uniform weights (bound √(6/fan-in)) for tensors of rank 2 and 4, biases in [-0.1, 0.1).
inline std::vector<float> deterministic_parameter(const Shape &shape, std::uint32_t seed) {
  std::int64_t fan_in = 1;
  for (std::size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
  float bound = shape.size() == 1 ? 0.1f
                                  : static_cast<float>(1.0 / std::sqrt(static_cast<double>(fan_in) / 6.0));
  return deterministic_symmetric(static_cast<std::size_t>(element_count(shape)), seed, bound);
}

}  // namespace cnngen::testing
