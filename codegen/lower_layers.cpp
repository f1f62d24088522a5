// Layer algorithms; see lower_layers.hpp. Each follows PyTorch's definition of the layer exactly,
// so that results match it to float rounding.
#include "codegen/lower_layers.hpp"
#include "dsl/symbols.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace cnngen {

using Halide::Expr;
using Halide::Func;
using Halide::RDom;
using Halide::Var;

namespace {

Expr i32(std::int64_t v) { return Expr(static_cast<int>(v)); }

/// Whether `v` is NaN, tested on its bits. Halide compiles float arithmetic with LLVM's no-NaN
/// fast-math flags, under which a float compare, max, min or select(a > b, …) may return either
/// operand for a NaN (x86's maxps returns its second). Integer operations keep their meaning on
/// every backend and under an OpenCL compiler's fast math; unlike Halide::is_nan, they also leave
/// the rest of the module's float code with its fast-math flags.
Expr is_nan_bits(const Expr &v) {
  return (Halide::reinterpret<std::uint32_t>(v) & Expr(0x7fffffffu)) > Expr(0x7f800000u);
}

/// `value` for a number, NaN for NaN: PyTorch's activations propagate NaN.
Expr nan_or(const Expr &v, const Expr &value) { return Halide::select(is_nan_bits(v), v, value); }

/// Whether `v` is −∞, tested on its bits (as is_nan_bits, and Halide's simplifier would fold
/// arithmetic on an infinity as on a real).
Expr is_minus_infinity_bits(const Expr &v) { return Halide::reinterpret<std::uint32_t>(v) == Expr(0xff800000u); }

/// 1 + e^−v, as sigmoid and silu divide by it. Halide's exp is a polynomial, right up to overflow
/// but 0 far past it, for +∞ and for NaN: clamped to ±88 its argument stays in range, and the
/// quotients are PyTorch's to float rounding. Below −88, where PyTorch's e^−v overflows, the
/// callers give PyTorch's exact result themselves.
Expr one_plus_exp_minus(const Expr &v) { return 1.0f + Halide::exp(Halide::clamp(-v, -88.0f, 88.0f)); }

/// max(so_far, v) that is NaN once either is, as PyTorch's max pooling and max reductions take it.
Expr nan_max(const Expr &so_far, const Expr &v) {
  return Halide::select(is_nan_bits(v), v, nan_or(so_far, Halide::max(so_far, v)));
}

/// The H×W extent of `in`, for Halide's boundary conditions.
Halide::Region image_region(const Value &in) { return {{0, i32(in.shape[2])}, {0, i32(in.shape[1])}}; }

/// `in` read anywhere, with `value` outside its H×W extent: the padding of conv2d and pooling.
/// With `bound_channels`, outside its channels too.
Func pad_spatial(const Value &in, float value, bool bound_channels = false) {
  Halide::Region region = image_region(in);
  if (bound_channels) region.push_back({0, i32(in.shape[0])});
  return Halide::BoundaryConditions::constant_exterior(in.func, value, region);
}

}  // namespace

Func lower_conv2d(const Conv2d &conv, const Value &in, const LayerWeights &weights,
                  const std::string &name, std::optional<Func> &padded, bool clamp_rows) {
  Var x("x"), y("y"), c("c"), n("n");
  Func input = in.func;
  if (conv.padding.h > 0 || conv.padding.w > 0) {
    // Zero outside the channels too: the CPU schedule may store a few channels more per pixel than
    // the input has (DirectChoice::padded_channels), and they must read as zeros, not past it.
    Func bounded = pad_spatial(in, 0.0f, /*bound_channels=*/true);
    input = Func(name + suffix::padded);
    input(x, y, c, n) = bounded(x, y, c, n);
    padded = input;
  }
  std::int64_t in_per_group = conv.in_channels / conv.groups;
  std::int64_t out_per_group = conv.out_channels / conv.groups;
  RDom r(0, i32(conv.kernel.w), 0, i32(conv.kernel.h), 0, i32(in_per_group), name + suffix::reduction);
  Expr group = conv.groups == 1 ? Expr(0) : c / i32(out_per_group);
  Expr ic = group * i32(in_per_group) + r.z;
  Expr ix = x * i32(conv.stride.w) + r.x * i32(conv.dilation.w) - i32(conv.padding.w);
  Expr iy = y * i32(conv.stride.h) + r.y * i32(conv.dilation.h) - i32(conv.padding.h);
  if (clamp_rows) iy = Halide::clamp(iy, 0, i32(in.shape[1] - 1));
  Func out(name);
  out(x, y, c, n) = weights.bias ? (*weights.bias)(c) : Expr(0.0f);
  out(x, y, c, n) += weights.weight(r.x, r.y, r.z, c) * input(ix, iy, ic, n);
  return out;
}

Func lower_pad2d(const Pad2d &pad, const Value &in, const std::string &name) {
  Var x("x"), y("y"), c("c"), n("n");
  // The input read anywhere: the value outside it, its reflection about the edge (PyTorch's
  // reflection pads less than the image, so one reflection is enough) or its edge.
  const Halide::Region image = image_region(in);
  Func extended = pad.mode == PadMode::reflect     ? Halide::BoundaryConditions::mirror_interior(in.func, image)
                  : pad.mode == PadMode::replicate ? Halide::BoundaryConditions::repeat_edge(in.func, image)
                                                   : Halide::BoundaryConditions::constant_exterior(
                                                         in.func, static_cast<float>(pad.value), image);
  Func out(name);
  out(x, y, c, n) = extended(x - i32(pad.left), y - i32(pad.top), c, n);
  return out;
}

Func lower_pool2d(const Pool2d &pool, const Value &in, const std::string &name) {
  Var x("x"), y("y"), c("c"), n("n");
  bool is_max = pool.kind == PoolKind::max;
  bool padded = pool.padding.h > 0 || pool.padding.w > 0;
  // PyTorch pads max pooling with −∞; padding is at most half the window and with ceil_mode the
  // last window starts inside the input, so every window holds at least one real value and the
  // lowest float never wins. With ceil_mode the far side reads the padding value past the input.
  Func input = padded || pool.ceil_mode ? pad_spatial(in, is_max ? -std::numeric_limits<float>::infinity() : 0.0f)
                      : in.func;
  RDom r(0, i32(pool.kernel.w), 0, i32(pool.kernel.h), name + suffix::reduction);
  // The input under tap (kx, ky) of the window at (x, y).
  auto tap = [&](Expr kx, Expr ky) {
    return input(x * i32(pool.stride.w) + kx * i32(pool.dilation.w) - i32(pool.padding.w),
                 y * i32(pool.stride.h) + ky * i32(pool.dilation.h) - i32(pool.padding.h), c, n);
  };
  Expr v = tap(r.x, r.y);
  Func out(name);
  if (is_max) {
    out(x, y, c, n) = -std::numeric_limits<float>::infinity();
    out(x, y, c, n) = nan_max(out(x, y, c, n), v);
    return out;
  }
  // count_include_pad=True: the divisor is the whole window, or with ceil_mode its part inside the
  // padded input, per axis min(start + k, n + p) − start; count_include_pad=False: its part inside
  // the input, min(start + k, n) − max(start, 0) (PyTorch's divide_factor). A small window is summed as one
  // expression, in the order of the reduction (columns, then rows), so that no loop is left for the
  // schedule to unroll (as a loop, LeNet's small poolings took a seventh of its time).
  Expr divisor = Expr(static_cast<float>(pool.kernel.h * pool.kernel.w));
  if (pool.ceil_mode) {
    auto inside = [](Expr o, std::int64_t k, std::int64_t s, std::int64_t p, std::int64_t n) {
      Expr start = o * i32(s) - i32(p);
      return Halide::min(start + i32(k), i32(n + p)) - start;
    };
    divisor = Halide::cast<float>(inside(x, pool.kernel.w, pool.stride.w, pool.padding.w, in.shape[2]) *
                                  inside(y, pool.kernel.h, pool.stride.h, pool.padding.h, in.shape[1]));
  }
  if (!pool.count_include_pad && (padded || pool.ceil_mode)) {
    auto real = [](Expr o, std::int64_t k, std::int64_t s, std::int64_t p, std::int64_t n) {
      Expr start = o * i32(s) - i32(p);
      return Halide::min(start + i32(k), i32(n)) - Halide::max(start, 0);
    };
    divisor = Halide::cast<float>(real(x, pool.kernel.w, pool.stride.w, pool.padding.w, in.shape[2]) *
                                  real(y, pool.kernel.h, pool.stride.h, pool.padding.h, in.shape[1]));
  }
  if (pool.kernel.h * pool.kernel.w <= 16) {
    Expr total;
    for (std::int64_t ky = 0; ky < pool.kernel.h; ++ky) {
      for (std::int64_t kx = 0; kx < pool.kernel.w; ++kx) {
        Expr value = tap(i32(kx), i32(ky));
        total = total.defined() ? total + value : value;
      }
    }
    out(x, y, c, n) = total / divisor;
    return out;
  }
  out(x, y, c, n) = Halide::sum(v) / divisor;
  return out;
}

namespace {

/// Φ(x), the standard normal distribution function, as ½·erfc(−x/√2) with Numerical Recipes'
/// erfc (Chebyshev fit, relative error under 1.2e-7 for every z ≥ 0): accurate relative to the
/// value in both tails, where PyTorch's float ½·x·(1 + erf(x/√2)) cancels (within 1e-4 absolute
/// of it there). Φ(±∞) is 1 or 0, Φ(NaN) is NaN.
Expr standard_normal_cdf(const Expr &x) {
  const Expr z = Halide::abs(x) * static_cast<float>(1.0 / std::sqrt(2.0));
  const Expr t = 1.0f / (1.0f + 0.5f * z);
  constexpr float kFit[] = {-1.26551223f, 1.00002368f, 0.37409196f, 0.09678418f, -0.18628806f,
                            0.27886807f,  -1.13520398f, 1.48851587f, -0.82215223f, 0.17087277f};
  Expr series = kFit[9];
  for (int i = 8; i >= 0; --i) series = kFit[i] + t * series;
  const Expr half_erfc = 0.5f * t * Halide::exp(Halide::clamp(series - z * z, -88.0f, 88.0f));
  return Halide::select(x >= 0.0f, 1.0f - half_erfc, half_erfc);
}

}  // namespace

Func lower_activation(const Activation &activation, const Value &in, const std::string &name) {
  std::vector<Var> args = in.func.args();
  std::vector<Expr> at(args.begin(), args.end());
  Expr v = in.func(at);
  Func out(name);
  switch (activation.kind) {
    case ActivationKind::relu: out(args) = nan_or(v, Halide::max(v, 0.0f)); break;
    // Below −88, PyTorch's e^−x overflows and its sigmoid is 0 exactly (which a product with ∞
    // turns into NaN, as squeeze-and-excitation's does).
    case ActivationKind::sigmoid:
      out(args) = nan_or(v, Halide::select(v < -88.0f, 0.0f, 1.0f / one_plus_exp_minus(v)));
      break;
    case ActivationKind::tanh: out(args) = Halide::tanh(v); break;  // NaN stays, ±∞ gives ±1
    case ActivationKind::relu6: out(args) = nan_or(v, Halide::min(Halide::max(v, 0.0f), 6.0f)); break;
    case ActivationKind::leaky_relu: {
      // PyTorch's x > 0 ? x : x · slope, NaN kept. −∞ takes IEEE's product, computed here (−∞ · 0
      // is NaN): Halide's simplifier treats floats as reals and would fold it.
      const float slope = static_cast<float>(activation.negative_slope);
      const float of_minus_infinity = -std::numeric_limits<float>::infinity() * slope;
      out(args) = nan_or(v, Halide::select(v > 0.0f, v, Halide::select(is_minus_infinity_bits(v), Expr(of_minus_infinity), v * slope)));
      break;
    }
    // PyTorch's x / (1 + e^−x): −∞ / ∞ is NaN, and below −88 e^−x overflows and gives −0. The
    // exponent is clamped, so −∞ is made NaN by its bits.
    case ActivationKind::silu: {
      const Expr nan(std::numeric_limits<float>::quiet_NaN());
      out(args) = Halide::select(is_minus_infinity_bits(v), nan,
                                 Halide::select(v < -88.0f, -0.0f, v / one_plus_exp_minus(v)));
      break;
    }
    // PyTorch's x · min(max(x + 3, 0), 6) / 6, in that order: −∞ · 0 is NaN, and x · 6 overflows to
    // ∞ above FLT_MAX / 6 (made explicit: Halide reassociates the constant factors).
    case ActivationKind::hardswish: {
      const float overflows = std::numeric_limits<float>::max() / 6.0f;
      out(args) = Halide::select(v > overflows, Expr(std::numeric_limits<float>::infinity()),
                                 v * Halide::clamp(v + 3.0f, 0.0f, 6.0f) / 6.0f);
      break;
    }
    case ActivationKind::hardsigmoid:
      out(args) = nan_or(v, Halide::clamp(v + 3.0f, 0.0f, 6.0f) / 6.0f);
      break;
    case ActivationKind::gelu: out(args) = v * standard_normal_cdf(v); break;
  }
  return out;
}

Func lower_softmax(const Value &in, const std::string &name, std::vector<Func> &internals) {
  // Over the channels: dimension 2 of (x, y, c, n), dimension 0 of (f, n).
  std::vector<Var> args = in.func.args();
  std::size_t channel = in.shape.size() == 3 ? 2 : 0;
  std::vector<Var> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i != channel) rest.push_back(args[i]);
  }
  RDom r(0, i32(in.shape[0]), name + suffix::reduction);
  std::vector<Expr> at_r(args.begin(), args.end());
  at_r[channel] = r;
  Func largest(name + suffix::max), total(name + suffix::sum), out(name);
  std::vector<Expr> rest_e(rest.begin(), rest.end());
  // A NaN anywhere makes the largest NaN, and x − largest NaN for every x; a +∞ makes ∞ − ∞ NaN
  // for itself, and so does −∞ − (−∞) in a row of −∞ alone: each gives PyTorch's row of NaN
  // through the sum. Otherwise x − largest ≤ 0, which Halide's exp takes right down to −∞.
  largest(rest) = -std::numeric_limits<float>::infinity();
  largest(rest) = nan_max(largest(rest_e), in.func(at_r));
  Func exponent(name + suffix::exp);
  std::vector<Expr> at(args.begin(), args.end());
  Expr shifted = in.func(at) - largest(rest_e);
  exponent(args) = nan_or(shifted, Halide::exp(shifted));
  total(rest) = Halide::sum(exponent(at_r));
  out(args) = exponent(at) / total(rest_e);
  internals = {largest, exponent, total};
  return out;
}

Func lower_flatten(const Value &in, const std::string &name) {
  Var f("f"), n("n");
  Func out(name);
  if (in.shape.size() == 1) {
    out(f, n) = in.func(f, n);
    return out;
  }
  Expr w = i32(in.shape[2]), h = i32(in.shape[1]);
  out(f, n) = in.func(f % w, (f / w) % h, f / (w * h), n);
  return out;
}

Func lower_linear(const Linear &linear, const Value &in, const LayerWeights &weights,
                  const std::string &name) {
  Var f("f"), n("n");
  RDom r(0, i32(linear.in_features), name + suffix::reduction);
  Func out(name);
  out(f, n) = weights.bias ? (*weights.bias)(f) : Expr(0.0f);
  out(f, n) += weights.weight(r, f) * in.func(r, n);
  return out;
}

namespace {

/// The largest of the adaptive windows [⌊i·n/out⌋, ⌈(i+1)·n/out⌉) along an axis of n inputs.
std::int64_t largest_adaptive_window(std::int64_t n, std::int64_t out) {
  std::int64_t largest = 0;
  for (std::int64_t i = 0; i < out; ++i) {
    largest = std::max(largest, ((i + 1) * n + out - 1) / out - i * n / out);
  }
  return largest;
}

/// The channel dimension of a tensor's Func: c of (x, y, c, n), f of (f, n).
std::size_t channel_dimension(const Value &value) { return value.shape.size() == 3 ? 2 : 0; }

}  // namespace

Func lower_adaptive_pool2d(const AdaptivePool2d &pool, const Value &in, const std::string &name) {
  Var x("x"), y("y"), c("c"), n("n");
  const std::int64_t h = in.shape[1], w = in.shape[2];
  Expr x0 = x * i32(w) / i32(pool.output.w), x1 = ((x + 1) * i32(w) + i32(pool.output.w - 1)) / i32(pool.output.w);
  Expr y0 = y * i32(h) / i32(pool.output.h), y1 = ((y + 1) * i32(h) + i32(pool.output.h - 1)) / i32(pool.output.h);
  RDom r(0, i32(largest_adaptive_window(w, pool.output.w)), 0, i32(largest_adaptive_window(h, pool.output.h)),
         name + suffix::reduction);
  // Taps past the window's end repeat its last value: in bounds, harmless to the max, and left out
  // of the sum.
  Expr v = in.func(Halide::min(x0 + r.x, x1 - 1), Halide::min(y0 + r.y, y1 - 1), c, n);
  Func out(name);
  if (pool.kind == PoolKind::max) {
    out(x, y, c, n) = -std::numeric_limits<float>::infinity();
    out(x, y, c, n) = nan_max(out(x, y, c, n), v);
    return out;
  }
  out(x, y, c, n) = 0.0f;
  out(x, y, c, n) += Halide::select(r.x < x1 - x0 && r.y < y1 - y0, v, 0.0f);
  out(x, y, c, n) = out(x, y, c, n) / Halide::cast<float>((x1 - x0) * (y1 - y0));
  return out;
}

Func lower_batch_norm(const BatchNorm &norm, const Value &in, const LayerWeights &weights,
                      const std::string &name, std::vector<Func> &per_channel) {
  std::vector<Var> args = in.func.args();
  Var channel = args[channel_dimension(in)];
  Func scale(name + suffix::scale), shift(name + suffix::shift);
  Expr inverse_std = 1.0f / Halide::sqrt((*weights.running_var)(channel) + static_cast<float>(norm.eps));
  scale(channel) = norm.affine ? weights.weight(channel) * inverse_std : inverse_std;
  shift(channel) = (norm.affine ? (*weights.bias)(channel) : Expr(0.0f)) -
                   (*weights.running_mean)(channel) * scale(channel);
  std::vector<Expr> at(args.begin(), args.end());
  Func out(name);
  out(args) = in.func(at) * scale(channel) + shift(channel);
  per_channel = {scale, shift};
  return out;
}

Func lower_add(const std::vector<Value> &inputs, const std::string &name) {
  std::vector<Var> args = inputs.at(0).func.args();
  std::vector<Expr> at(args.begin(), args.end());
  Expr total = inputs[0].func(at);
  for (std::size_t i = 1; i < inputs.size(); ++i) total = total + inputs[i].func(at);
  Func out(name);
  out(args) = total;
  return out;
}

Func lower_layer_norm(const LayerNorm &norm, const Value &in, const LayerWeights *weights, const std::string &name,
                      std::vector<Func> &internals) {
  std::vector<Var> args = in.func.args();
  const std::size_t channel = channel_dimension(in);
  std::vector<Var> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i != channel) rest.push_back(args[i]);
  }
  const std::vector<Expr> rest_e(rest.begin(), rest.end());
  RDom r(0, i32(norm.channels), name + suffix::reduction);
  std::vector<Expr> at_r(args.begin(), args.end());
  at_r[channel] = r;
  const float count = static_cast<float>(norm.channels);
  Func mean(name + suffix::mean), inverse_std(name + suffix::inverse_std), out(name);
  mean(rest) = Halide::sum(in.func(at_r)) / count;
  // The variance about the mean (PyTorch's, biased), not E[x²] − E[x]², which cancels.
  const Expr deviation = in.func(at_r) - mean(rest_e);
  inverse_std(rest) = 1.0f / Halide::sqrt(Halide::sum(deviation * deviation) / count + static_cast<float>(norm.eps));
  std::vector<Expr> at(args.begin(), args.end());
  Expr value = (in.func(at) - mean(rest_e)) * inverse_std(rest_e);
  if (weights) value = value * weights->weight(args[channel]) + (*weights->bias)(args[channel]);
  out(args) = value;
  internals = {mean, inverse_std};
  return out;
}

Func lower_parameter(const Value &in, const Shape &shape, const LayerWeights &weights, const std::string &name) {
  std::vector<Var> args = in.func.args();
  if (args.size() != shape.size() + 1) {
    args = shape.size() == 3 ? std::vector<Var>{Var("x"), Var("y"), Var("c"), Var("n")}
                             : std::vector<Var>{Var("f"), Var("n")};
  }
  std::vector<Expr> at(args.begin(), args.end() - 1);  // every image reads the same tensor
  Func out(name);
  out(args) = weights.weight(at);
  return out;
}

/// The input with its channel c read at `source(c)`: index arithmetic in the readers, no copy.
template <class Source>
Func reading_channels(const Value &in, const std::string &name, Source source) {
  std::vector<Var> args = in.func.args();
  std::vector<Expr> at(args.begin(), args.end());
  const std::size_t channel = channel_dimension(in);
  at[channel] = source(Expr(args[channel]));
  Func out(name);
  out(args) = in.func(at);
  return out;
}

Func lower_channel_slice(const ChannelSlice &slice, const Value &in, const std::string &name) {
  return reading_channels(in, name, [&](const Expr &c) { return c + i32(slice.start); });
}

Func lower_channel_shuffle(const ChannelShuffle &shuffle, const Value &in, const std::string &name) {
  const Expr groups = i32(shuffle.groups), per_group = i32(in.shape[0] / shuffle.groups);
  return reading_channels(in, name, [&](const Expr &c) { return (c % groups) * per_group + c / groups; });
}

Func lower_mul(const std::vector<Value> &inputs, const Shape &out_shape, const std::string &name) {
  std::vector<Var> args = inputs.at(0).func.args();
  Expr product;
  for (const Value &input : inputs) {
    // Func dimension d is PyTorch's dimension rank − 1 − d (x is the last); a dimension of 1 is
    // read at 0 wherever the output's is longer.
    std::vector<Expr> at(args.begin(), args.end());
    for (std::size_t d = 0; d < input.shape.size(); ++d) {
      const std::size_t dim = input.shape.size() - 1 - d;
      if (input.shape[dim] == 1 && out_shape[dim] != 1) at[d] = 0;
    }
    product = product.defined() ? product * input.func(at) : input.func(at);
  }
  Func out(name);
  out(args) = product;
  return out;
}

Func lower_concat(const std::vector<Value> &inputs, const std::string &name, bool slices) {
  std::vector<Var> args = inputs.at(0).func.args();
  const std::size_t channel = channel_dimension(inputs[0]);
  Var c = args[channel];
  std::vector<std::int64_t> offsets{0};
  for (const Value &input : inputs) offsets.push_back(offsets.back() + input.shape[0]);
  Func out(name);
  if (slices) {
    // Input j's channels r (a reduction variable standing bare on the left, so the schedule may
    // vectorize and parallelize it) land at r; it reads them at r − offset_j.
    out(args) = Halide::undef<float>();
    for (std::size_t j = 0; j < inputs.size(); ++j) {
      RDom r(i32(offsets[j]), i32(inputs[j].shape[0]), name + suffix::reduction + std::to_string(j));
      std::vector<Expr> left(args.begin(), args.end()), right(args.begin(), args.end());
      left[channel] = r;
      right[channel] = r - i32(offsets[j]);
      out(left) = inputs[j].func(right);
    }
    return out;
  }
  // Input j at c − offset_j, its channel clamped so that bounds inference asks each input only
  // for its own channels; the selects pick the input whose slice holds c.
  auto slice = [&](std::size_t j) {
    std::vector<Expr> at(args.begin(), args.end());
    at[channel] = Halide::clamp(c - i32(offsets[j]), 0, i32(inputs[j].shape[0] - 1));
    return inputs[j].func(at);
  };
  Expr value = slice(inputs.size() - 1);
  for (std::size_t j = inputs.size() - 1; j-- > 0;) value = Halide::select(c < i32(offsets[j + 1]), slice(j), value);
  out(args) = value;
  return out;
}

}  // namespace cnngen
