// What the CPU, batch-vectorized and GPU schedules (schedule.cpp, schedule_batched.cpp,
// schedule_gpu.cpp) share: the reduction variables of a stage, tile sizes that divide an extent,
// which activations fuse into the layer before them, and which networks count as small.
#pragma once

#include <algorithm>
#include <vector>

#include <Halide.h>

#include "codegen/lower.hpp"
#include "dsl/summary.hpp"

namespace cnngen {

/// The reduction variables of update definition `update` of `func`, innermost first.
inline std::vector<Halide::RVar> rvars(const Halide::Func &func, int update) {
  std::vector<Halide::RVar> out;
  for (const auto &r : func.function().update(update).schedule().rvars()) out.emplace_back(r.var);
  return out;
}

/// The largest divisor of `extent` no greater than `limit`.
inline int divisor_at_most(int extent, int limit) {
  for (int d = std::min(extent, limit); d > 1; --d) {
    if (extent % d == 0) return d;
  }
  return 1;
}

/// Declares that `func`, computed at the root, covers its whole tensor of PyTorch shape `shape`
/// even where its readers need less (a stride that skips the last columns, a pooling that skips the
/// last row). Tiles shifted inwards (TailStrategy::ShiftInwards) then stay inside the tensor: over a
/// smaller region, a tile wider than the region started before its first column and read the input
/// out of bounds (found by tools/difftest.py).
inline void bound_to_shape(Halide::Func func, const Shape &shape) {
  std::vector<Halide::Var> args = func.args();
  for (std::size_t i = 0; i < shape.size(); ++i) {
    func.bound(args[i], 0, static_cast<int>(shape[shape.size() - 1 - i]));
  }
}

/// Whether layers[i], a convolution or linear layer, has its activation fused into it: the
/// activation right after it that reads it, computed tile by tile with it and never stored apart.
inline bool fuses_activation(const std::vector<LoweredLayer> &layers, std::size_t i) {
  const Node &node = *layers[i].node;
  bool fusable = std::holds_alternative<Conv2d>(node.op) || std::holds_alternative<Linear>(node.op);
  return fusable && i + 1 < layers.size() &&
         std::holds_alternative<Activation>(layers[i + 1].node->op) &&
         layers[i + 1].node->inputs[0] == node.output;
}

/// Under 10 M multiply-adds per image (LeNet: 0.4 M): too small to share one image among threads,
/// and with channels too few to fill vectors, so its images are vectorized or threaded instead.
inline bool is_small_network(const Network &network) {
  std::int64_t macs = 0;
  for (const LayerCost &cost : layer_costs(network)) macs += cost.macs;
  return macs < 10'000'000;
}

}  // namespace cnngen
