// Naive layer implementations; see reference_forward.hpp.
#include "reference_forward.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace cnngen::testing {
namespace {

/// max as PyTorch's max pooling and max reductions take it: NaN once either is (std::max keeps
/// its first argument when the second is NaN).
double nan_max(double a, double b) { return std::isnan(a) || std::isnan(b) ? std::nan("") : std::max(a, b); }

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
          // PyTorch's avg_pool2d: the window clipped to the padded input (ceil_mode's last window
          // may overhang it), padding counted; without count_include_pad only the taps inside.
          std::int64_t y0 = oy * p.stride.h - p.padding.h, x0 = ox * p.stride.w - p.padding.w;
          double divisor = static_cast<double>((std::min(y0 + p.kernel.h, d.h + p.padding.h) - y0) *
                                               (std::min(x0 + p.kernel.w, d.w + p.padding.w) - x0));
          std::int64_t inside = 0;
          for (std::int64_t ky = 0; ky < p.kernel.h; ++ky)
            for (std::int64_t kx = 0; kx < p.kernel.w; ++kx) {
              std::int64_t iy = oy * p.stride.h + ky * p.dilation.h - p.padding.h;
              std::int64_t ix = ox * p.stride.w + kx * p.dilation.w - p.padding.w;
              if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w) continue;  // padding: −∞ or 0
              double v = in[((n * d.c + c) * d.h + iy) * d.w + ix];
              best = nan_max(best, v);
              sum += v;
              ++inside;
            }
          if (!p.count_include_pad) divisor = static_cast<double>(inside);
          out[((n * o.c + c) * o.h + oy) * o.w + ox] =
              p.kind == PoolKind::max ? best : sum / divisor;
        }
  return out;
}

/// PyTorch's adaptive pooling: output i along an axis of n reads [⌊i·n/o⌋, ⌈(i+1)·n/o⌉).
Tensor adaptive_pool2d(const AdaptivePool2d &p, const Tensor &in, Dims d, Dims o, int batch) {
  Tensor out(static_cast<std::size_t>(batch * o.c * o.h * o.w));
  auto start = [](std::int64_t i, std::int64_t n, std::int64_t out) { return i * n / out; };
  auto end = [](std::int64_t i, std::int64_t n, std::int64_t out) { return ((i + 1) * n + out - 1) / out; };
  for (int n = 0; n < batch; ++n)
    for (std::int64_t c = 0; c < o.c; ++c)
      for (std::int64_t oy = 0; oy < o.h; ++oy)
        for (std::int64_t ox = 0; ox < o.w; ++ox) {
          double best = -std::numeric_limits<double>::infinity(), sum = 0;
          std::int64_t count = 0;
          for (std::int64_t iy = start(oy, d.h, o.h); iy < end(oy, d.h, o.h); ++iy)
            for (std::int64_t ix = start(ox, d.w, o.w); ix < end(ox, d.w, o.w); ++ix) {
              double v = in[((n * d.c + c) * d.h + iy) * d.w + ix];
              best = nan_max(best, v);
              sum += v;
              ++count;
            }
          out[((n * o.c + c) * o.h + oy) * o.w + ox] =
              p.kind == PoolKind::max ? best : sum / static_cast<double>(count);
        }
  return out;
}

/// Batch norm at inference, per channel: (x − mean)/√(var + eps)·γ + β.
Tensor batch_norm(const BatchNorm &p, const Tensor &in, Dims d, int batch, const WeightTensor *gamma,
                  const WeightTensor *beta, const WeightTensor &mean, const WeightTensor &var) {
  Tensor out(in.size());
  std::int64_t plane = d.h * d.w;
  for (int n = 0; n < batch; ++n)
    for (std::int64_t c = 0; c < d.c; ++c)
      for (std::int64_t i = 0; i < plane; ++i) {
        std::size_t at = static_cast<std::size_t>((n * d.c + c) * plane + i);
        double normalized = (in[at] - mean.data[c]) / std::sqrt(static_cast<double>(var.data[c]) + p.eps);
        out[at] = gamma ? normalized * gamma->data[c] + beta->data[c] : normalized;
      }
  return out;
}

/// Layer norm over the channels at each pixel (over the features of a flat input).
Tensor layer_norm(const LayerNorm &p, const Tensor &in, Dims d, int batch, const WeightTensor *gamma,
                  const WeightTensor *beta) {
  Tensor out(in.size());
  const std::int64_t plane = d.h * d.w;
  for (int n = 0; n < batch; ++n)
    for (std::int64_t i = 0; i < plane; ++i) {
      auto at = [&](std::int64_t c) { return static_cast<std::size_t>((n * d.c + c) * plane + i); };
      double mean = 0, variance = 0;
      for (std::int64_t c = 0; c < d.c; ++c) mean += in[at(c)];
      mean /= static_cast<double>(d.c);
      for (std::int64_t c = 0; c < d.c; ++c) variance += (in[at(c)] - mean) * (in[at(c)] - mean);
      variance /= static_cast<double>(d.c);
      for (std::int64_t c = 0; c < d.c; ++c) {
        const double normalized = (in[at(c)] - mean) / std::sqrt(variance + p.eps);
        out[at(c)] = gamma ? normalized * gamma->data[c] + beta->data[c] : normalized;
      }
    }
  return out;
}

/// torch.cat along the channels (dim 1).
Tensor concat(const std::vector<const Tensor *> &inputs, const std::vector<Dims> &dims, int batch) {
  Tensor out;
  for (int n = 0; n < batch; ++n)
    for (std::size_t j = 0; j < inputs.size(); ++j) {
      std::size_t image = static_cast<std::size_t>(dims[j].c * dims[j].h * dims[j].w);
      out.insert(out.end(), inputs[j]->begin() + static_cast<std::ptrdiff_t>(n * image),
                 inputs[j]->begin() + static_cast<std::ptrdiff_t>((n + 1) * image));
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
      for (std::int64_t c = 0; c < d.c; ++c) largest = nan_max(largest, in[at(c)]);
      for (std::int64_t c = 0; c < d.c; ++c) total += std::exp(in[at(c)] - largest);
      for (std::int64_t c = 0; c < d.c; ++c) out[at(c)] = std::exp(in[at(c)] - largest) / total;
    }
  return out;
}

double activate(const Activation &activation, double v) {
  switch (activation.kind) {
    case ActivationKind::relu: return std::isnan(v) ? v : std::max(v, 0.0);
    case ActivationKind::sigmoid: return 1.0 / (1.0 + std::exp(-v));
    case ActivationKind::tanh: return std::tanh(v);
    case ActivationKind::relu6: return std::isnan(v) ? v : std::min(std::max(v, 0.0), 6.0);
    case ActivationKind::leaky_relu: return v > 0 ? v : v * activation.negative_slope;
    case ActivationKind::silu: return v / (1.0 + std::exp(-v));
    case ActivationKind::hardswish: return v * std::min(std::max(v + 3.0, 0.0), 6.0) / 6.0;
    case ActivationKind::hardsigmoid: return std::isnan(v) ? v : std::min(std::max(v + 3.0, 0.0), 6.0) / 6.0;
    case ActivationKind::gelu: return 0.5 * v * std::erfc(-v / std::sqrt(2.0));
  }
  throw std::logic_error("activation kind without a reference");
}

/// A node's parameter tensors by role; null where the node has none of that role.
struct RoleTensors {
  const WeightTensor *weight = nullptr, *bias = nullptr, *running_mean = nullptr, *running_var = nullptr;
};

RoleTensors role_tensors(const Node &node, const TensorFile &weights) {
  RoleTensors out;
  for (const Parameter &parameter : parameters(node)) {
    const WeightTensor *tensor = &weights.at(parameter.name);
    switch (parameter.role) {
      case ParameterRole::weight: out.weight = tensor; break;
      case ParameterRole::bias: out.bias = tensor; break;
      case ParameterRole::running_mean: out.running_mean = tensor; break;
      case ParameterRole::running_var: out.running_var = tensor; break;
    }
  }
  return out;
}

/// Evaluates one node: one overload per operation, so that a kind without one fails to compile.
struct NodeReference {
  const std::vector<const Tensor *> &in;
  const std::vector<Dims> &in_dims;
  Dims out_dims;
  int batch;
  RoleTensors w;

  Tensor operator()(const Conv2d &p) const { return conv2d(p, *in[0], in_dims[0], out_dims, batch, *w.weight, w.bias); }
  Tensor operator()(const Pool2d &p) const { return pool2d(p, *in[0], in_dims[0], out_dims, batch); }
  Tensor operator()(const AdaptivePool2d &p) const {
    return adaptive_pool2d(p, *in[0], in_dims[0], out_dims, batch);
  }
  Tensor operator()(const BatchNorm &p) const {
    return batch_norm(p, *in[0], in_dims[0], batch, w.weight, w.bias, *w.running_mean, *w.running_var);
  }
  Tensor operator()(const Activation &p) const {
    Tensor out = *in[0];
    for (double &v : out) v = activate(p, v);
    return out;
  }
  Tensor operator()(const Softmax &) const { return softmax(*in[0], in_dims[0], batch); }
  Tensor operator()(const Flatten &) const { return *in[0]; }  // the data as it lies in memory
  Tensor operator()(const Linear &p) const { return linear(p, *in[0], batch, *w.weight, w.bias); }
  Tensor operator()(const Dropout &) const { return *in[0]; }
  Tensor operator()(const Identity &) const { return *in[0]; }
  Tensor operator()(const Add &) const {
    Tensor out = *in[0];
    for (std::size_t j = 1; j < in.size(); ++j)
      for (std::size_t i = 0; i < out.size(); ++i) out[i] += (*in[j])[i];
    return out;
  }
  Tensor operator()(const Mul &) const {
    Tensor out(static_cast<std::size_t>(batch * out_dims.c * out_dims.h * out_dims.w), 1.0);
    for (std::size_t j = 0; j < in.size(); ++j) {
      const Dims d = in_dims[j];
      std::size_t i = 0;
      for (int n = 0; n < batch; ++n)
        for (std::int64_t c = 0; c < out_dims.c; ++c)
          for (std::int64_t y = 0; y < out_dims.h; ++y)
            for (std::int64_t x = 0; x < out_dims.w; ++x, ++i)
              out[i] *= (*in[j])[static_cast<std::size_t>(((n * d.c + (d.c == 1 ? 0 : c)) * d.h + (d.h == 1 ? 0 : y)) * d.w +
                                                          (d.w == 1 ? 0 : x))];
    }
    return out;
  }
  Tensor operator()(const Concat &) const { return concat(in, in_dims, batch); }
  Tensor operator()(const LayerNorm &p) const { return layer_norm(p, *in[0], in_dims[0], batch, w.weight, w.bias); }
  Tensor operator()(const Permute &) const { return *in[0]; }  // the data as they lie in memory
  Tensor operator()(const ParameterTensor &) const {
    Tensor out;
    for (int n = 0; n < batch; ++n) out.insert(out.end(), w.weight->data.begin(), w.weight->data.end());
    return out;
  }
  Tensor operator()(const ChannelSlice &p) const { return rearranged(p.length, [&](std::int64_t c) { return p.start + c; }); }
  Tensor operator()(const Pad2d &p) const {
    const Dims d = in_dims[0];
    Tensor out;
    // PyTorch's F.pad: reflection mirrors about the edge without repeating it; replication
    // repeats the edge.
    auto source = [&](std::int64_t i, std::int64_t size) {
      if (p.mode == PadMode::reflect) i = i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i;
      return std::clamp<std::int64_t>(i, 0, size - 1);
    };
    for (int n = 0; n < batch; ++n)
      for (std::int64_t c = 0; c < out_dims.c; ++c)
        for (std::int64_t y = 0; y < out_dims.h; ++y)
          for (std::int64_t x = 0; x < out_dims.w; ++x) {
            const std::int64_t iy = y - p.top, ix = x - p.left;
            const bool outside = iy < 0 || iy >= d.h || ix < 0 || ix >= d.w;
            out.push_back(p.mode == PadMode::constant && outside
                              ? p.value
                              : (*in[0])[static_cast<std::size_t>(((n * d.c + c) * d.h + source(iy, d.h)) * d.w +
                                                                  source(ix, d.w))]);
          }
    return out;
  }
  Tensor operator()(const ChannelShuffle &p) const {
    const std::int64_t per_group = in_dims[0].c / p.groups;
    return rearranged(in_dims[0].c, [&](std::int64_t c) { return (c % p.groups) * per_group + c / p.groups; });
  }
  /// `channels` channels, channel c copied from the input's channel source(c).
  template <class Source>
  Tensor rearranged(std::int64_t channels, Source source) const {
    const Dims d = in_dims[0];
    Tensor out;
    for (int n = 0; n < batch; ++n)
      for (std::int64_t c = 0; c < channels; ++c) {
        const auto from = (*in[0]).begin() + static_cast<std::ptrdiff_t>((n * d.c + source(c)) * d.h * d.w);
        out.insert(out.end(), from, from + static_cast<std::ptrdiff_t>(d.h * d.w));
      }
    return out;
  }
};

}  // namespace

std::vector<double> reference_forward(const Network &network, const TensorFile &weights,
                                      const std::vector<float> &input, int batch) {
  std::vector<Tensor> values(network.tensors.size());
  values[static_cast<std::size_t>(network.input)].assign(input.begin(), input.end());
  for (const Node &node : network.nodes) {
    std::vector<const Tensor *> in;
    std::vector<Dims> in_dims;
    for (int tensor : node.inputs) {
      in.push_back(&values[static_cast<std::size_t>(tensor)]);
      in_dims.push_back(dims(network.tensors[static_cast<std::size_t>(tensor)].shape));
    }
    const Dims out_dims = dims(network.tensors[static_cast<std::size_t>(node.output)].shape);
    values[static_cast<std::size_t>(node.output)] =
        visit_operation(node.op, NodeReference{in, in_dims, out_dims, batch, role_tensors(node, weights)});
  }
  return values[static_cast<std::size_t>(network.output)];
}

}  // namespace cnngen::testing
