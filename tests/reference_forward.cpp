// Naive layer implementations; see reference_forward.hpp.
#include "reference_forward.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cnngen::testing {
namespace {

using Tensor = std::vector<double>;  // one batch, contiguous N×…

struct Dims {
  std::int64_t c, h, w;
};

Dims dims(const Shape &s) { return s.size() == 3 ? Dims{s[0], s[1], s[2]} : Dims{s[0], 1, 1}; }

Tensor conv2d(const Conv2d &p, const Tensor &in, Dims d, Dims o, int batch, const WeightTensor &w,
              const WeightTensor *b) {
  Tensor out(static_cast<std::size_t>(batch * o.c * o.h * o.w));
  std::int64_t in_per_group = p.in_channels / p.groups, out_per_group = p.out_channels / p.groups;
  for (int n = 0; n < batch; ++n)
    for (std::int64_t oc = 0; oc < o.c; ++oc)
      for (std::int64_t oy = 0; oy < o.h; ++oy)
        for (std::int64_t ox = 0; ox < o.w; ++ox) {
          double sum = b ? b->data[oc] : 0.0;
          std::int64_t group = oc / out_per_group;
          for (std::int64_t i = 0; i < in_per_group; ++i)
            for (std::int64_t ky = 0; ky < p.kernel.h; ++ky)
              for (std::int64_t kx = 0; kx < p.kernel.w; ++kx) {
                std::int64_t iy = oy * p.stride.h + ky * p.dilation.h - p.padding.h;
                std::int64_t ix = ox * p.stride.w + kx * p.dilation.w - p.padding.w;
                if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w) continue;
                std::int64_t ic = group * in_per_group + i;
                sum += static_cast<double>(w.data[((oc * in_per_group + i) * p.kernel.h + ky) * p.kernel.w + kx]) *
                       in[((n * d.c + ic) * d.h + iy) * d.w + ix];
              }
          out[((n * o.c + oc) * o.h + oy) * o.w + ox] = sum;
        }
  return out;
}

Tensor pool2d(const Pool2d &p, const Tensor &in, Dims d, Dims o, int batch) {
  Tensor out(static_cast<std::size_t>(batch * o.c * o.h * o.w));
  for (int n = 0; n < batch; ++n)
    for (std::int64_t c = 0; c < o.c; ++c)
      for (std::int64_t oy = 0; oy < o.h; ++oy)
        for (std::int64_t ox = 0; ox < o.w; ++ox) {
          double best = -std::numeric_limits<double>::infinity(), sum = 0;
          for (std::int64_t ky = 0; ky < p.kernel.h; ++ky)
            for (std::int64_t kx = 0; kx < p.kernel.w; ++kx) {
              std::int64_t iy = oy * p.stride.h + ky - p.padding.h;
              std::int64_t ix = ox * p.stride.w + kx - p.padding.w;
              if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w) continue;  // padding: −∞ or 0
              double v = in[((n * d.c + c) * d.h + iy) * d.w + ix];
              best = std::max(best, v);
              sum += v;
            }
          out[((n * o.c + c) * o.h + oy) * o.w + ox] =
              p.kind == PoolKind::max ? best : sum / static_cast<double>(p.kernel.h * p.kernel.w);
        }
  return out;
}

Tensor linear(const Linear &p, const Tensor &in, int batch, const WeightTensor &w,
              const WeightTensor *b) {
  Tensor out(static_cast<std::size_t>(batch * p.out_features));
  for (int n = 0; n < batch; ++n)
    for (std::int64_t o = 0; o < p.out_features; ++o) {
      double sum = b ? b->data[o] : 0.0;
      for (std::int64_t i = 0; i < p.in_features; ++i)
        sum += static_cast<double>(w.data[o * p.in_features + i]) * in[n * p.in_features + i];
      out[n * p.out_features + o] = sum;
    }
  return out;
}

/// Softmax over the channels (dim 1 of N×C×H×W or N×F).
Tensor softmax(const Tensor &in, Dims d, int batch) {
  Tensor out(in.size());
  std::int64_t plane = d.h * d.w;
  for (int n = 0; n < batch; ++n)
    for (std::int64_t p = 0; p < plane; ++p) {
      auto at = [&](std::int64_t c) { return (n * d.c + c) * plane + p; };
      double largest = -std::numeric_limits<double>::infinity(), total = 0;
      for (std::int64_t c = 0; c < d.c; ++c) largest = std::max(largest, in[at(c)]);
      for (std::int64_t c = 0; c < d.c; ++c) total += std::exp(in[at(c)] - largest);
      for (std::int64_t c = 0; c < d.c; ++c) out[at(c)] = std::exp(in[at(c)] - largest) / total;
    }
  return out;
}

double activate(ActivationKind kind, double v) {
  switch (kind) {
    case ActivationKind::relu: return std::max(v, 0.0);
    case ActivationKind::sigmoid: return 1.0 / (1.0 + std::exp(-v));
    case ActivationKind::tanh: return std::tanh(v);
  }
  return v;
}

}  // namespace

std::vector<double> reference_forward(const Network &network, const TensorFile &weights,
                                      const std::vector<float> &input, int batch) {
  std::vector<Tensor> values(network.tensors.size());
  values[static_cast<std::size_t>(network.input)].assign(input.begin(), input.end());
  for (const Node &node : network.nodes) {
    const Tensor &in = values[static_cast<std::size_t>(node.inputs[0])];
    const Shape &in_shape = network.tensors[static_cast<std::size_t>(node.inputs[0])].shape;
    const Shape &out_shape = network.tensors[static_cast<std::size_t>(node.output)].shape;
    std::vector<Parameter> params = parameters(node);
    const WeightTensor *w = params.empty() ? nullptr : &weights.at(params[0].name);
    const WeightTensor *b = params.size() > 1 ? &weights.at(params[1].name) : nullptr;
    Tensor out;
    if (const auto *conv = std::get_if<Conv2d>(&node.op)) {
      out = conv2d(*conv, in, dims(in_shape), dims(out_shape), batch, *w, b);
    } else if (const auto *pool = std::get_if<Pool2d>(&node.op)) {
      out = pool2d(*pool, in, dims(in_shape), dims(out_shape), batch);
    } else if (const auto *activation = std::get_if<Activation>(&node.op)) {
      out = in;
      for (double &v : out) v = activate(activation->kind, v);
    } else if (std::holds_alternative<Softmax>(node.op)) {
      out = softmax(in, dims(in_shape), batch);
    } else if (const auto *fc = std::get_if<Linear>(&node.op)) {
      out = linear(*fc, in, batch, *w, b);
    } else {  // flatten and dropout keep the data as it lies in memory
      out = in;
    }
    values[static_cast<std::size_t>(node.output)] = std::move(out);
  }
  return values[static_cast<std::size_t>(network.output)];
}

}  // namespace cnngen::testing
