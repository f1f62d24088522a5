// Winograd F(2×2, 3×3), F(4×4, 3×3) and F(2×2, 5×5); see winograd.hpp. The input and output
// transforms are written out as sums and differences with small integer factors, selected by the
// transform index, which the schedule unrolls so that each becomes a constant.
#include "codegen/winograd.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "codegen/schedule_common.hpp"
#include "dsl/symbols.hpp"

namespace cnngen {

using Halide::Expr;
using Halide::Func;
using Halide::Var;

namespace {

/// The matrices of F(m×m, r×r) (Lavin and Gray, 2015): Bᵀ (α × α, α = m + r - 1) transforms an
/// input tile, G (α × r) a kernel, Aᵀ (m × α) the products back to m outputs. F(2×2, 3×3)
/// interpolates at 0, ±1 and ∞; F(4×4, 3×3) and F(2×2, 5×5), both with α = 6, at 0, ±1, ±2 and ∞,
/// so they share Bᵀ, G's rows are the same scale times (1, p, p², …) for each point p, and Aᵀ's rows
/// are the powers of the points.
struct Matrices {
  std::vector<std::vector<double>> bt, g, at;
};

const Matrices &matrices(int tile, int kernel) {
  static const Matrices f2{{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
                           {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
                           {{1, 1, 1, 0}, {0, 1, -1, -1}}};
  static const std::vector<std::vector<double>> bt6{{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0},
                                                    {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0},
                                                    {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
  static const Matrices f4{bt6,
                           {{1.0 / 4, 0, 0},
                            {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                            {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                            {1.0 / 24, 1.0 / 12, 1.0 / 6},
                            {1.0 / 24, -1.0 / 12, 1.0 / 6},
                            {0, 0, 1}},
                           {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}};
  static const Matrices f2_5x5{bt6,
                               {{1.0 / 4, 0, 0, 0, 0},
                                {-1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6},
                                {-1.0 / 6, 1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6},
                                {1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 3, 2.0 / 3},
                                {1.0 / 24, -1.0 / 12, 1.0 / 6, -1.0 / 3, 2.0 / 3},
                                {0, 0, 0, 0, 1}},
                               {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 1}}};
  if (kernel == 5) return f2_5x5;
  return tile == 4 ? f4 : f2;
}

/// Row `row` of `matrix` applied to `values`, as sums and differences where a coefficient is ±1,
/// selected by `row` (which the schedule unrolls, so that each becomes a constant).
Expr transform(const std::vector<std::vector<double>> &matrix, const Expr &row, const std::vector<Expr> &values) {
  std::vector<Expr> rows;
  for (const std::vector<double> &coefficients : matrix) {
    Expr sum;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double a = coefficients[i];
      if (a == 0) continue;
      Expr term = std::abs(a) == 1 ? values[i] : static_cast<float>(std::abs(a)) * values[i];
      if (!sum.defined()) sum = a < 0 ? -term : term;
      else sum = a < 0 ? sum - term : sum + term;
    }
    rows.push_back(sum);
  }
  return Halide::mux(row, rows);
}

}  // namespace

bool winograd_computes(const Conv2d &conv) {
  return (conv.kernel.h == 3 || conv.kernel.h == 5) && conv.kernel.w == conv.kernel.h && conv.stride.h == 1 &&
         conv.stride.w == 1 && conv.dilation.h == 1 && conv.dilation.w == 1 && conv.groups == 1;
}

int winograd_tile(const Conv2d &conv, const Shape &output, ConvAlgorithm algorithm) {
  // Its schedule vectorizes across the output channels, 16 at a time; where they are not a
  // multiple of 16 (232, 368), the last block is shifted inwards over the one before it.
  if (algorithm == ConvAlgorithm::direct || !winograd_computes(conv) || conv.out_channels < 16) return 0;
  // 5×5 kernels: F(2×2, 5×5) only (F(4×4, 5×5) would need 8 interpolation points).
  const bool five = conv.kernel.h == 5;
  if (algorithm == ConvAlgorithm::winograd) return 2;
  if (algorithm == ConvAlgorithm::winograd4) return five ? 2 : 4;
  // F(2×2, 5×5) takes 36 multiplies for 100: faster from 48 input channels at every size measured
  // (AlexNet's 96 → 256 at 26×26 0.48× the time, AVX2 0.58×; 48 → 128 at 14×14 0.77×); even at
  // 32 → 128 at 7×7 (docs/performance.md).
  if (five) return conv.in_channels >= 48 && conv.out_channels >= 64 ? 2 : 0;
  if (conv.in_channels < 64 || conv.out_channels < 64) return 0;
  // F(4×4) from 12×12 outputs (3 × 3 tiles) up; below, its weights, 4× the direct ones (37.7 MB
  // at 512 → 512), are reused by too few tiles per image (ResNet-18's 7×7 layers: slower). On
  // every target, even where its row of tiles leaves a register tile part empty (7 tiles at 28×28
  // in AVX2's groups of 3), F(4×4) was measured faster than F(2×2).
  return output[1] < 12 || output[2] < 12 ? 2 : 4;
}

WinogradWeights winograd_weights(const WeightTensor &weight, const std::string &name, int tile) {
  const int outputs = static_cast<int>(weight.shape.at(0)), inputs = static_cast<int>(weight.shape.at(1));
  // Output channels that are not a multiple of 16 make one block: the schedule's last block of
  // channels, shifted inwards, starts anywhere, and must still read one sequential run.
  const int block = outputs % 64 == 0 ? 64 : outputs % 32 == 0 ? 32 : outputs % 16 == 0 ? 16 : outputs;
  const int kernel = static_cast<int>(weight.shape.at(2)), points = tile + kernel - 1;
  const std::vector<std::vector<double>> &g_matrix = matrices(tile, kernel).g;
  Halide::Buffer<float> buffer(block, inputs, points, points, outputs / block, name + suffix::data);
  for (int k = 0; k < outputs; ++k) {
    for (int c = 0; c < inputs; ++c) {
      // g[ky][kx]
      const float *g = &weight.data[(static_cast<std::size_t>(k) * inputs + c) * kernel * kernel];
      // e transforms along x (the kernel's columns), f along y (its rows), as the input's e and f.
      for (int e = 0; e < points; ++e) {
        for (int f = 0; f < points; ++f) {
          double sum = 0;
          for (int ky = 0; ky < kernel; ++ky) {
            for (int kx = 0; kx < kernel; ++kx) {
              sum += g_matrix[e][kx] * g_matrix[f][ky] * static_cast<double>(g[ky * kernel + kx]);
            }
          }
          buffer(k % block, c, e, f, k / block) = static_cast<float>(sum);
        }
      }
    }
  }
  Var e("e"), f("f"), c("c"), k("k");
  Func transformed(name);
  if (block == outputs) transformed(e, f, c, k) = buffer(k, c, e, f, 0);
  else transformed(e, f, c, k) = buffer(k % block, c, e, f, k / block);
  return {transformed, tile, kernel};
}

Func lower_conv2d_winograd(const Conv2d &conv, const Value &in, const WinogradWeights &weights,
                           const std::optional<Func> &bias, const std::string &name,
                           WinogradStages &stages) {
  const int tile = weights.tile, points = weights.points();
  const Matrices &m = matrices(tile, weights.kernel);
  Var x("x"), y("y"), c("c"), n("n"), e("e"), f("f"), tx("tx"), ty("ty");
  // Zeros outside the input: the padding, and the last tiles' overhang past the output's edge. (A
  // select, not BoundaryConditions: their `likely` would split the tile loops into a copy of the
  // unrolled transform per edge case: a third of F(4×4)'s compile time, no measurable speed.)
  const int in_width = static_cast<int>(in.shape[2]), in_height = static_cast<int>(in.shape[1]);
  auto input = [&](const Expr &ix, const Expr &iy) {
    return Halide::select(ix >= 0 && ix < in_width && iy >= 0 && iy < in_height,
                          in.func(Halide::clamp(ix, 0, in_width - 1), Halide::clamp(iy, 0, in_height - 1), c, n),
                          0.0f);
  };
  Expr x0 = tile * tx - static_cast<int>(conv.padding.w), y0 = tile * ty - static_cast<int>(conv.padding.h);
  // Bᵀ d B in two passes of six-term sums (F(4×4)): along x into `rows`, then along y.
  Var j("j");
  std::vector<Expr> row, column;
  for (int i = 0; i < points; ++i) row.push_back(input(x0 + i, y0 + j));
  stages.rows = Func(name + suffix::winograd_rows);
  stages.rows(e, j, c, tx, ty, n) = transform(m.bt, e, row);
  for (int i = 0; i < points; ++i) column.push_back(stages.rows(e, i, c, tx, ty, n));
  stages.input = Func(name + suffix::winograd_input);
  stages.input(e, f, c, tx, ty, n) = transform(m.bt, f, column);

  Halide::RDom r(0, static_cast<int>(conv.in_channels), name + suffix::reduction);
  stages.product = Func(name + suffix::winograd_product);
  stages.product(e, f, c, tx, ty, n) = 0.0f;
  stages.product(e, f, c, tx, ty, n) += weights.transformed(e, f, r, c) * stages.input(e, f, r, tx, ty, n);

  // Aᵀ M A likewise: along x into `columns` (an output column x of tile row ty), then along y.
  std::vector<Expr> products, columns;
  for (int e_ = 0; e_ < points; ++e_) products.push_back(stages.product(e_, f, c, x / tile, ty, n));
  stages.columns = Func(name + suffix::winograd_columns);
  stages.columns(x, f, c, ty, n) = transform(m.at, x % tile, products);
  for (int f_ = 0; f_ < points; ++f_) columns.push_back(stages.columns(x, f_, c, y / tile, n));
  Func out(name);
  Expr sum = transform(m.at, y % tile, columns);
  out(x, y, c, n) = bias ? (*bias)(c) + sum : sum;
  return out;
}

}  // namespace cnngen
