// Test helper: the PyTorch golden data of tools/train_lenet.py (tests/golden/) and the comparison
// of logits against it.
#pragma once

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cnngen/idx.hpp"

namespace cnngen::testing {

constexpr int kLenetClasses = 10;

/// PyTorch's outputs, one row per golden image (kLenetClasses logits for LeNet).
inline std::vector<float> read_golden_logits(const std::string &path) {
  std::ifstream in(path);
  std::vector<float> logits;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream row(line);
    float v;
    while (row >> v) logits.push_back(v);
  }
  return logits;
}

inline IdxFile read_golden_idx(const std::string &path) {
  std::string error;
  auto idx = read_idx(path, error);
  if (!idx) ADD_FAILURE() << error;
  return idx ? *idx : IdxFile{};
}

/// Float32 logits of the same network from two engines differ by rounding only; relative 1e-4
/// (with 1e-4 absolute for logits near zero) is the project's bar. `classes`: logits per image.
/// With `atol_by_rms` the absolute part is 1e-4 of the logits' RMS where that exceeds 1: for
/// networks whose deterministic weights make logits in the thousands (MobileNetV3, ShuffleNetV2:
/// RMS 1403 and 2599), where PyTorch's own float32 logits differ from its float64 ones by up to
/// 0.016, outside 1e-4 absolute on small logits (tools/make_golden_nets.py prints both).
inline void expect_logits_match(const std::vector<float> &actual, const std::vector<float> &golden,
                                int classes = kLenetClasses, bool atol_by_rms = false) {
  ASSERT_EQ(actual.size(), golden.size());
  double squares = 0;
  for (float g : golden) squares += static_cast<double>(g) * g;
  const double atol = atol_by_rms ? std::max(1.0, std::sqrt(squares / static_cast<double>(golden.size()))) : 1.0;
  double worst = 0;
  for (std::size_t i = 0; i < golden.size(); ++i) {
    double difference = std::abs(static_cast<double>(actual[i]) - golden[i]);
    worst = std::max(worst, difference);
    EXPECT_LE(difference, 1e-4 * (atol + std::abs(golden[i])))
        << "output " << i << " (image " << i / classes << ", class " << i % classes
        << "): cnngen " << actual[i] << ", PyTorch " << golden[i];
  }
  std::cout << "max |cnngen − PyTorch| over " << golden.size() << " logits: " << worst << "\n";
}

}  // namespace cnngen::testing
