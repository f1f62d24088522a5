// Test helper for issue 12's NaN and Inf semantics: the inputs of tools/make_special_values.py bit
// for bit (images holding NaN, ±Inf and ±3e38), its golden files, and the comparison that wants
// NaN and ±Inf exactly where PyTorch has them and finite values within rtol = atol = 1e-4.
#pragma once

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "deterministic_tensor.hpp"

namespace cnngen::testing {

/// Images per model in the golden files: one of each kind of special_input().
constexpr int kSpecialImages = 7;

/// One image of `count` values, uniform in [low, high) from seed + image, then by image % 7:
/// 0 two NaN, 1 two +Inf, 2 two −Inf, 3 +3e38 and −3e38, 4 NaN, +Inf and −Inf, 5 −Inf everywhere,
/// 6 nothing special.
inline std::vector<float> special_input(std::size_t count, int image, std::uint32_t seed, float low,
                                        float high) {
  std::vector<float> x = deterministic_uniform(count, seed + static_cast<std::uint32_t>(image));
  for (float &v : x) v = v * (high - low) + low;
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const float huge = 3e38f;
  std::vector<float> values;
  switch (image % kSpecialImages) {
    case 0: values = {nan, nan}; break;
    case 1: values = {inf, inf}; break;
    case 2: values = {-inf, -inf}; break;
    case 3: values = {huge, -huge}; break;
    case 4: values = {nan, inf, -inf}; break;
    case 5: for (float &v : x) v = -inf; break;
    default: break;
  }
  for (std::size_t j = 0; j < values.size(); ++j) {
    std::size_t position =
        (static_cast<std::size_t>(image) * 7919 + j * 104729 + 13) % count;
    x[position] = values[j];
  }
  return x;
}

/// `batch` images in one buffer's order, image i being special_input(…, i % kSpecialImages, …):
/// a batch larger than kSpecialImages repeats them, so that the lanes of a batch-vectorized block
/// mix every kind.
inline std::vector<float> special_batch(std::size_t count, int batch, std::uint32_t seed, float low,
                                        float high) {
  std::vector<float> all;
  for (int i = 0; i < batch; ++i) {
    std::vector<float> image = special_input(count, i % kSpecialImages, seed, low, high);
    all.insert(all.end(), image.begin(), image.end());
  }
  return all;
}

/// One model of a golden file: its name, its .net text (layer cases only) and PyTorch's outputs,
/// kSpecialImages rows of `per_image` values.
struct SpecialGolden {
  std::string name;
  std::string source;
  std::size_t per_image = 0;
  std::vector<float> outputs;
};

/// Prints the model's name alone (the test names and gtest's messages).
inline void PrintTo(const SpecialGolden &golden, std::ostream *out) { *out << golden.name; }

/// The models of tests/golden/special_values_{layers,nets}.txt: "case NAME" (a model of "input"
/// and "layer" lines) or "net NAME", then "outputs IMAGES COUNT" and the rows. Values are read
/// with strtof, which takes PyTorch's "nan", "inf" and "-inf".
inline std::vector<SpecialGolden> read_special_goldens(const std::string &path) {
  std::ifstream in(path);
  if (!in) ADD_FAILURE() << "cannot read " << path;
  std::vector<SpecialGolden> goldens;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string key;
    words >> key;
    std::string rest;
    std::getline(words >> std::ws, rest);
    if (key == "case" || key == "net") {
      goldens.push_back({rest, key == "case" ? "model " + rest + "\n" : "", 0, {}});
    } else if (key == "input") {
      goldens.back().source += "input " + rest + "\n";
    } else if (key == "layer") {
      goldens.back().source += rest + "\n";
    } else if (key == "outputs") {
      std::size_t images = 0;
      std::istringstream(rest) >> images >> goldens.back().per_image;
      for (std::size_t i = 0; i < images && std::getline(in, line); ++i) {
        std::istringstream row(line);
        for (std::string token; row >> token;) goldens.back().outputs.push_back(std::strtof(token.c_str(), nullptr));
      }
    } else {
      ADD_FAILURE() << path << ": unexpected line '" << line << "'";
    }
  }
  return goldens;
}

/// `actual` (`batch` images, the first being image `first`) against the golden rows, image i
/// against row i % kSpecialImages:
/// NaN exactly where PyTorch has NaN, ±Inf exactly where it has the same infinity, and finite
/// values within rtol = atol = 1e-4. Reports the first few mismatches.
inline void expect_special_match(const std::vector<float> &actual, const SpecialGolden &golden, int batch,
                                 int first = 0) {
  ASSERT_EQ(actual.size(), golden.per_image * static_cast<std::size_t>(batch));
  int mismatches = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const std::size_t image = i / golden.per_image + static_cast<std::size_t>(first);
    const std::size_t element = i % golden.per_image;
    const float expected = golden.outputs[(image % kSpecialImages) * golden.per_image + element];
    const float got = actual[i];
    bool ok;
    if (std::isnan(expected) || std::isinf(expected)) {
      ok = std::isnan(expected) ? std::isnan(got) : got == expected;
    } else {
      ok = std::isfinite(got) && std::abs(static_cast<double>(got) - expected) <= 1e-4 * (1.0 + std::abs(expected));
    }
    if (!ok && ++mismatches <= 5) {
      ADD_FAILURE() << golden.name << ": image " << image << " (kind " << image % kSpecialImages
                    << "), output " << element << ": cnngen " << got << ", PyTorch " << expected;
    }
  }
  EXPECT_EQ(mismatches, 0) << golden.name << " at batch " << batch;
}

}  // namespace cnngen::testing
