// Deterministic pseudo-random tensors, bit for bit the ones tools/deterministic_weights.py makes:
// golden data for big networks without committing their weights. A parameter's values depend on its
// state_dict name alone (seed: the name's FNV-1a hash; range: its role), not on parameter order.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "dsl/network.hpp"
#include "dsl/safetensors.hpp"

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

/// The 32-bit FNV-1a hash of the name's bytes.
inline std::uint32_t name_seed(const std::string &name) {
  std::uint32_t h = 0x811C9DC5u;
  for (unsigned char c : name) h = (h ^ c) * 0x01000193u;
  return h;
}

/// The values of a parameter, by its name and role as tools/deterministic_weights.py's
/// named_parameter(): batch norm's running_mean in [-0.5, 0.5), running_var and its rank-1 weight
/// in [0.5, 1.5), biases in [-0.1, 0.1), weights of rank 2 and 4 He-uniform.
inline std::vector<float> deterministic_named_parameter(const Parameter &parameter) {
  const std::uint32_t seed = name_seed(parameter.name);
  const auto count = static_cast<std::size_t>(element_count(parameter.shape));
  const bool rank1_weight = parameter.role == ParameterRole::weight && parameter.shape.size() == 1;
  if (parameter.role == ParameterRole::running_mean) return deterministic_symmetric(count, seed, 0.5f);
  if (parameter.role == ParameterRole::running_var || rank1_weight) {
    std::vector<float> values = deterministic_symmetric(count, seed, 0.5f);
    for (float &v : values) v = 1.0f + v;
    return values;
  }
  return deterministic_parameter(parameter.shape, seed);
}

/// Every parameter of `network` filled by deterministic_named_parameter(), as embedded weights.
inline TensorFile deterministic_weights(const Network &network) {
  TensorFile weights;
  for (const Node &node : network.nodes) {
    for (const Parameter &p : parameters(node)) weights[p.name] = {p.shape, deterministic_named_parameter(p)};
  }
  return weights;
}

}  // namespace cnngen::testing
