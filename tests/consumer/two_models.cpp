// Two different generated models in one app, sharing one Halide runtime: LeNet (trained weights
// embedded) against PyTorch's golden logits, and tiny.net (weights as arguments) against a direct
// computation; then a wrong buffer for each, which with nothing installed returns an error code and
// a message in cnngen_last_error(). Exits 0 only when both match within relative 1e-4 and both
// refuse their wrong buffer so.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cnngen/idx.hpp"
#include "lenet.hpp"
#include "tiny.hpp"

namespace {

int compare(const char *model, const std::vector<float> &actual, const std::vector<float> &expected) {
  if (actual.size() != expected.size() || expected.empty()) {
    std::fprintf(stderr, "%s: %zu outputs, expected %zu\n", model, actual.size(), expected.size());
    return 1;
  }
  int mismatches = 0;
  double worst = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    double difference = std::abs(static_cast<double>(actual[i]) - expected[i]);
    worst = std::max(worst, difference);
    if (difference > 1e-4 * (1.0 + std::abs(expected[i])) && mismatches++ < 5)
      std::fprintf(stderr, "%s: output %zu is %g, expected %g\n", model, i, actual[i], expected[i]);
  }
  std::printf("%s: %zu outputs, %d mismatches, max difference %g\n", model, expected.size(),
              mismatches, worst);
  return mismatches != 0;
}

int check_lenet() {
  std::string error;
  auto images = cnngen::read_idx(GOLDEN_DIR "/lenet_images.idx", error);
  if (!images) {
    std::fprintf(stderr, "lenet: %s\n", error.c_str());
    return 1;
  }
  std::vector<float> golden;
  std::ifstream in(GOLDEN_DIR "/lenet_logits.txt");
  for (std::string line; std::getline(in, line);) {
    std::istringstream row(line);
    for (float v; line[0] != '#' && row >> v;) golden.push_back(v);
  }
  std::vector<float> pixels = cnngen::unit_floats(*images);
  std::vector<float> logits(static_cast<std::size_t>(images->dims[0]) * lenet_model::kOutputSize);
  lenet_model::Status status = lenet_model::infer(pixels.data(), images->dims[0], logits.data());
  if (!status) {
    std::fprintf(stderr, "lenet: %s\n", status.name());
    return 1;
  }
  return compare("lenet", logits, golden);
}

std::vector<float> pattern(std::size_t size, double phase) {
  std::vector<float> values(size);
  for (std::size_t i = 0; i < size; ++i) values[i] = static_cast<float>(std::sin(0.7 * i + phase));
  return values;
}

/// tiny.net computed directly: conv2d(3, kernel=3, padding=1) on 2×5×5, relu, flatten, linear(4).
std::vector<float> tiny_reference(const std::vector<float> &x, const std::vector<float> &cw,
                                  const std::vector<float> &cb, const std::vector<float> &lw,
                                  const std::vector<float> &lb) {
  std::vector<float> hidden(3 * 5 * 5), out(4);
  for (int o = 0; o < 3; ++o)
    for (int y = 0; y < 5; ++y)
      for (int x0 = 0; x0 < 5; ++x0) {
        double sum = cb[o];
        for (int c = 0; c < 2; ++c)
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              int iy = y + ky - 1, ix = x0 + kx - 1;
              if (iy < 0 || iy >= 5 || ix < 0 || ix >= 5) continue;
              sum += cw[((o * 2 + c) * 3 + ky) * 3 + kx] * x[(c * 5 + iy) * 5 + ix];
            }
        hidden[(o * 5 + y) * 5 + x0] = static_cast<float>(std::max(sum, 0.0));
      }
  for (int k = 0; k < 4; ++k) {
    double sum = lb[k];
    for (int i = 0; i < 75; ++i) sum += lw[k * 75 + i] * hidden[i];
    out[k] = static_cast<float>(sum);
  }
  return out;
}

int check_tiny() {
  static_assert(tiny_model::kWeightCount == 4 && tiny_model::kInputSize == 50);
  std::vector<float> x = pattern(50, 0.1), cw = pattern(54, 1.0), cb = pattern(3, 2.0),
                     lw = pattern(300, 3.0), lb = pattern(4, 4.0);
  const float *const weights[] = {cw.data(), cb.data(), lw.data(), lb.data()};
  std::vector<float> out(tiny_model::kOutputSize);
  tiny_model::Status status = tiny_model::infer(x.data(), 1, out.data(), weights);
  if (!status) {
    std::fprintf(stderr, "tiny: %s\n", status.name());
    return 1;
  }
  return compare("tiny", out, tiny_reference(x, cw, cb, lw, lb));
}

/// One refusal: a nonzero code and a message holding `needle`.
int expect_refused(const char *model, int code, const char *needle) {
  std::string message = cnngen_last_error();
  bool ok = code != 0 && message.find(needle) != std::string::npos;
  std::printf("%s: a wrong buffer %s %d: %s\n", model, ok ? "refused with" : "FAILED, returned", code,
              message.c_str());
  return ok ? 0 : 1;
}

/// With no error handler installed, each model returns its error code for a wrong buffer (Halide's
/// default handler would abort the app) and the app goes on.
int check_errors() {
  std::vector<float> memory(4096);
  float *m = memory.data();
  Halide::Runtime::Buffer<float> narrow(m, 27, 28, 1, 1), logits(m, 10, 1);
  int failures = expect_refused("lenet", lenet(narrow, logits), "input");
  Halide::Runtime::Buffer<float> x(m, 5, 5, 2, 1), cw(m, 3, 3, 2, 3), cb(m, 3), lw(m, 75, 4), lb(m, 5),
      out(m, 4, 1);
  return failures + expect_refused("tiny", tiny(x, cw, cb, lw, lb, out), "linear");
}

}  // namespace

int main() {
  int failures = check_lenet() + check_tiny() + check_errors();
  std::printf(failures ? "two_models: FAILED\n" : "two_models: both models match and return errors\n");
  return failures ? 1 : 0;
}
