// Winograd F(2×2, 3×3); see winograd.hpp. The transforms are written out as sums and differences
// (their matrices hold only 0, ±1 and ±½), selected by the transform index, which the schedule
// unrolls so that each becomes a constant.
#include "codegen/winograd.hpp"

namespace cnngen {

using Halide::Expr;
using Halide::Func;
using Halide::Var;

namespace {

/// Row e of Bᵀ applied to (d0, d1, d2, d3): Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
Expr input_transform(const Expr &e, const Expr &d0, const Expr &d1, const Expr &d2, const Expr &d3) {
  return Halide::mux(e, {d0 - d2, d1 + d2, d2 - d1, d1 - d3});
}

/// Row a of Aᵀ applied to (m0, m1, m2, m3): Aᵀ = [1 1 1 0; 0 1 −1 −1].
Expr output_transform(const Expr &a, const Expr &m0, const Expr &m1, const Expr &m2, const Expr &m3) {
  return Halide::mux(a, {m0 + m1 + m2, m1 - m2 - m3});
}

/// G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
constexpr double kG[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

}  // namespace

bool winograd_computes(const Conv2d &conv) {
  return conv.kernel.h == 3 && conv.kernel.w == 3 && conv.stride.h == 1 && conv.stride.w == 1 &&
         conv.dilation.h == 1 && conv.dilation.w == 1 && conv.groups == 1;
}

bool use_winograd(const Conv2d &conv, ConvAlgorithm algorithm) {
  // Its weights come in blocks of 16 output channels or more (winograd_weights), and its
  // schedule vectorizes across them (17 outputs read past the last block: found by difftest).
  if (algorithm == ConvAlgorithm::direct || !winograd_computes(conv) || conv.out_channels % 16 != 0) return false;
  if (algorithm == ConvAlgorithm::winograd) return true;
  return conv.in_channels >= 64 && conv.out_channels >= 64;
}

Func winograd_weights(const WeightTensor &weight, const std::string &name) {
  const int outputs = static_cast<int>(weight.shape.at(0)), inputs = static_cast<int>(weight.shape.at(1));
  const int block = outputs % 64 == 0 ? 64 : outputs % 32 == 0 ? 32 : 16;
  Halide::Buffer<float> buffer(block, inputs, 4, 4, outputs / block, name + suffix::data);
  for (int k = 0; k < outputs; ++k) {
    for (int c = 0; c < inputs; ++c) {
      const float *g = &weight.data[(static_cast<std::size_t>(k) * inputs + c) * 9];  // g[ky][kx]
      // e transforms along x (the kernel's columns), f along y (its rows), as the input's e and f.
      for (int e = 0; e < 4; ++e) {
        for (int f = 0; f < 4; ++f) {
          double sum = 0;
          for (int ky = 0; ky < 3; ++ky) {
            for (int kx = 0; kx < 3; ++kx) sum += kG[e][kx] * kG[f][ky] * static_cast<double>(g[ky * 3 + kx]);
          }
          buffer(k % block, c, e, f, k / block) = static_cast<float>(sum);
        }
      }
    }
  }
  Var e("e"), f("f"), c("c"), k("k");
  Func transformed(name);
  transformed(e, f, c, k) = buffer(k % block, c, e, f, k / block);
  return transformed;
}

Func lower_conv2d_winograd(const Conv2d &conv, const Value &in, const Func &transformed,
                           const std::optional<Func> &bias, const std::string &name,
                           WinogradStages &stages) {
  Var x("x"), y("y"), c("c"), n("n"), e("e"), f("f"), tx("tx"), ty("ty");
  // Zeros outside the input: the padding, and the last tiles' overhang past odd output sizes.
  Func input = Halide::BoundaryConditions::constant_exterior(
      in.func, 0.0f, {{0, static_cast<int>(in.shape[2])}, {0, static_cast<int>(in.shape[1])}});
  Expr x0 = 2 * tx - static_cast<int>(conv.padding.w), y0 = 2 * ty - static_cast<int>(conv.padding.h);
  auto d = [&](int i, int j) { return input(x0 + i, y0 + j, c, n); };
  Expr rows[4];
  for (int j = 0; j < 4; ++j) rows[j] = input_transform(e, d(0, j), d(1, j), d(2, j), d(3, j));
  stages.input = Func(name + suffix::winograd_input);
  stages.input(e, f, c, tx, ty, n) = input_transform(f, rows[0], rows[1], rows[2], rows[3]);

  Halide::RDom r(0, static_cast<int>(conv.in_channels), name + suffix::reduction);
  stages.product = Func(name + suffix::winograd_product);
  stages.product(e, f, c, tx, ty, n) = 0.0f;
  stages.product(e, f, c, tx, ty, n) += transformed(e, f, r, c) * stages.input(e, f, r, tx, ty, n);

  auto m = [&](int e_, int f_) { return stages.product(e_, f_, c, x / 2, y / 2, n); };
  Expr columns[4];
  for (int f_ = 0; f_ < 4; ++f_) columns[f_] = output_transform(x % 2, m(0, f_), m(1, f_), m(2, f_), m(3, f_));
  Func out(name);
  Expr sum = output_transform(y % 2, columns[0], columns[1], columns[2], columns[3]);
  out(x, y, c, n) = bias ? (*bias)(c) + sum : sum;
  return out;
}

}  // namespace cnngen
