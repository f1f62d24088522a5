// The cost model: each layer's parameters, multiply-adds, output size and receptive field, and
// the peak working memory of an inference; see cost.hpp.
#include "dsl/cost.hpp"

#include <algorithm>
#include <vector>

#include "dsl/operation_traits.hpp"
#include "dsl/window.hpp"

namespace cnngen {
namespace {

/// Receptive field along one axis: its size on the input and the input step between neighbours.
struct Field {
  std::int64_t size = 1, jump = 1;
};

/// Saturates at a bound no real field reaches, so that hostile strides cannot overflow.
std::int64_t saturated(std::int64_t a, std::int64_t b, bool multiply) {
  constexpr std::int64_t kBound = std::int64_t{1} << 60;
  std::int64_t r = 0;
  if (multiply ? __builtin_mul_overflow(a, b, &r) : __builtin_add_overflow(a, b, &r)) return kBound;
  return std::min(r, kBound);
}

Field grow(Field f, std::int64_t span, std::int64_t stride) {
  return Field{saturated(f.size, saturated(span - 1, f.jump, true), false), saturated(f.jump, stride, true)};
}

/// What one pixel of a tensor sees of the model's input.
struct Receptive {
  Field h, w;
  bool whole = false;  // every input value (after flatten, or a flat input)
};

/// A node's receptive field from its inputs' (already merged: the largest over the inputs).
struct GrowField {
  const Receptive &in;
  const Shape &in_shape;
  Receptive windowed(const Operation &op) const {
    Windows w = *windows_of(op);
    return {grow(in.h, w.h.span(), w.h.stride), grow(in.w, w.w.span(), w.w.stride), in.whole};
  }
  Receptive operator()(const Conv2d &c) const { return windowed(c); }
  Receptive operator()(const Pool2d &p) const { return windowed(p); }
  Receptive operator()(const AdaptivePool2d &p) const {
    std::int64_t h = in_shape[1], w = in_shape[2];
    return {grow(in.h, adaptive_span(h, p.output.h), std::max<std::int64_t>(1, h / p.output.h)),
            grow(in.w, adaptive_span(w, p.output.w), std::max<std::int64_t>(1, w / p.output.w)), in.whole};
  }
  Receptive operator()(const Flatten &) const { return {in.h, in.w, true}; }
  Receptive operator()(const Linear &) const { return {in.h, in.w, true}; }
  Receptive operator()(const BatchNorm &) const { return in; }
  Receptive operator()(const Activation &) const { return in; }
  Receptive operator()(const Softmax &) const { return in; }
  Receptive operator()(const Dropout &) const { return in; }
  Receptive operator()(const Identity &) const { return in; }
  Receptive operator()(const Add &) const { return in; }
  Receptive operator()(const Mul &) const { return in; }
  Receptive operator()(const Concat &) const { return in; }
  Receptive operator()(const ChannelSlice &) const { return in; }
  Receptive operator()(const ChannelShuffle &) const { return in; }
  Receptive operator()(const Pad2d &) const { return in; }  // shifts the field, grows it not
  Receptive operator()(const LayerNorm &) const { return in; }
  Receptive operator()(const Permute &) const { return in; }
  Receptive operator()(const ParameterTensor &) const { return {}; }  // sees nothing of the input
};

const Shape &shape_of(const Network &network, int tensor) {
  return network.tensors[static_cast<std::size_t>(tensor)].shape;
}

}  // namespace

std::vector<LayerCost> layer_costs(const Network &network) {
  std::vector<LayerCost> costs;
  std::vector<Receptive> fields(network.tensors.size());
  fields[static_cast<std::size_t>(network.input)].whole = shape_of(network, network.input).size() != 3;
  for (const Node &node : network.nodes) {
    const Shape &out_shape = shape_of(network, node.output);
    LayerCost cost;
    for (const Parameter &p : parameters(node)) cost.parameters += element_count(p.shape);
    cost.macs = multiply_adds(node.op, out_shape);
    cost.output_bytes = element_count(out_shape) * 4;
    // A join sees what each of its branches sees: the largest field, the coarsest step. A branch
    // broadcast over the output's height and width (mul's C×1×1 scale) makes every pixel see the
    // whole input, as a flatten does, unless it saw nothing of the input (a parameter).
    Receptive in;  // sees one pixel: each input's field merges into it, whichever comes first
    for (int tensor : node.inputs) {
      const Receptive &other = fields[static_cast<std::size_t>(tensor)];
      const Shape &shape = shape_of(network, tensor);
      if (node.inputs.size() > 1 && shape.size() == 3 && out_shape.size() == 3 &&
          (shape[1] != out_shape[1] || shape[2] != out_shape[2])) {
        in.whole = in.whole || other.whole || other.h.size > 1 || other.w.size > 1;
        continue;
      }
      in.h = {std::max(in.h.size, other.h.size), std::max(in.h.jump, other.h.jump)};
      in.w = {std::max(in.w.size, other.w.size), std::max(in.w.jump, other.w.jump)};
      in.whole = in.whole || other.whole;
    }
    Receptive &out = fields[static_cast<std::size_t>(node.output)];
    out = visit_operation(node.op, GrowField{in, shape_of(network, node.inputs[0])});
    cost.receptive_field =
        out.whole ? "all" : std::to_string(out.h.size) + "×" + std::to_string(out.w.size);
    costs.push_back(cost);
  }
  return costs;
}

WorkingMemory peak_working_memory(const Network &network, std::int64_t batch) {
  const std::size_t steps = network.nodes.size();
  // The step after which each tensor is dead: its last reader, or its producer if none reads it.
  std::vector<std::size_t> last(network.tensors.size(), 0);
  for (std::size_t t = 0; t < network.tensors.size(); ++t) {
    int producer = network.tensors[t].producer;
    last[t] = producer < 0 ? 0 : static_cast<std::size_t>(producer);
  }
  for (std::size_t i = 0; i < steps; ++i) {
    for (int tensor : network.nodes[i].inputs) last[static_cast<std::size_t>(tensor)] = i;
  }
  last[static_cast<std::size_t>(network.output)] = steps;
  std::vector<std::vector<int>> dying(steps + 1);
  for (std::size_t t = 0; t < network.tensors.size(); ++t) dying[last[t]].push_back(static_cast<int>(t));

  auto size = [&](int tensor) { return element_count(shape_of(network, tensor)) * 4 * batch; };
  WorkingMemory peak;
  std::int64_t live_bytes = size(network.input);
  int live = 1;
  for (std::size_t i = 0; i < steps; ++i) {
    const Node &node = network.nodes[i];
    live_bytes += size(node.output);
    ++live;
    if (live_bytes > peak.bytes || !peak.node) {
      std::vector<int> own = node.inputs;
      own.push_back(node.output);
      std::sort(own.begin(), own.end());
      own.erase(std::unique(own.begin(), own.end()), own.end());
      peak = {live_bytes, &node, live, live - static_cast<int>(own.size())};
    }
    for (int tensor : dying[i]) {
      live_bytes -= size(tensor);
      --live;
    }
  }
  return peak;
}

std::int64_t peak_working_bytes(const Network &network, std::int64_t batch, const Node **layer) {
  WorkingMemory peak = peak_working_memory(network, batch);
  if (layer) *layer = peak.node;
  return peak.bytes;
}

}  // namespace cnngen
