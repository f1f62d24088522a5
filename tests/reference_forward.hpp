// A naive evaluator of a checked Network, written from PyTorch's layer definitions with plain
// loops and double accumulation: the independent reference the generated code is tested against.
#pragma once

#include <vector>

#include "dsl/network.hpp"
#include "dsl/safetensors.hpp"

namespace cnngen::testing {

/// Runs `network` on `batch` images laid out as a contiguous N×… PyTorch tensor; returns the
/// output tensor, contiguous N×….
std::vector<double> reference_forward(const Network &network, const TensorFile &weights,
                                      const std::vector<float> &input, int batch);

}  // namespace cnngen::testing
