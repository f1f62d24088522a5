// What the CPU, batch-vectorized and GPU schedules (schedule_cpu.cpp, schedule_batched.cpp,
// schedule_gpu.cpp) share besides their plan (plan.hpp) and the cache budgets
// (cache_budgets.hpp): the reduction variables of a stage, bounds that keep shifted tiles inside
// a tensor, the visitors that dispatch a stored stage and a head by kind, and which networks
// count as small.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <Halide.h>

#include "codegen/cache_budgets.hpp"
#include "codegen/lower.hpp"
#include "dsl/cost.hpp"

namespace cnngen {

/// The reduction variables of update definition `update` of `func`, innermost first.
inline std::vector<Halide::RVar> rvars(const Halide::Func &func, int update) {
  std::vector<Halide::RVar> out;
  for (const auto &r : func.function().update(update).schedule().rvars()) out.emplace_back(r.var);
  return out;
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

/// Declares that a convolution's zero-padded input `padded` covers the input of PyTorch shape
/// `input` and its padding, with `channels` channels a pixel (the input's, or a few zero channels
/// more: DirectChoice::padded_channels), for the same reason as bound_to_shape. Without `rows`, only
/// its columns and channels: a padded input computed per task holds the rows that task reads.
inline void bound_padded(Halide::Func padded, const Shape &input, const Conv2d &conv, int channels, bool rows = true) {
  std::vector<Halide::Var> args = padded.args();
  padded.bound(args[0], static_cast<int>(-conv.padding.w), static_cast<int>(input[2] + 2 * conv.padding.w));
  if (rows) padded.bound(args[1], static_cast<int>(-conv.padding.h), static_cast<int>(input[1] + 2 * conv.padding.h));
  padded.bound(args[2], 0, channels);
}

/// Schedules the stage of a root layer (see plan.hpp): `store` is called with the operation of
/// every kind a plan may store as a root. The heads (convolution, linear) and the kinds without a
/// stage of their own are never roots; reaching one is an internal error. A new kind fails to
/// compile here until it is given one of the two.
template <class Store>
struct RootStage {
  const char *schedule;
  const Node &node;
  Store store;

  void operator()(const Pool2d &op) const { store(op); }
  void operator()(const AdaptivePool2d &op) const { store(op); }
  void operator()(const BatchNorm &op) const { store(op); }
  void operator()(const Activation &op) const { store(op); }
  void operator()(const Add &op) const { store(op); }
  void operator()(const Concat &op) const { store(op); }
  void operator()(const Softmax &op) const { store(op); }
  void operator()(const LayerNorm &op) const { store(op); }
  void operator()(const Pad2d &op) const { store(op); }
  void operator()(const Mul &op) const { store(op); }
  [[noreturn]] void unexpected() const {
    throw std::logic_error(std::string(schedule) + " schedule: " + describe(node) +
                           " planned as a stored stage");
  }
  void operator()(const Conv2d &) const { unexpected(); }
  void operator()(const Linear &) const { unexpected(); }
  void operator()(const Flatten &) const { unexpected(); }
  void operator()(const Dropout &) const { unexpected(); }
  void operator()(const Identity &) const { unexpected(); }
  void operator()(const ChannelSlice &) const { unexpected(); }
  void operator()(const ChannelShuffle &) const { unexpected(); }
  void operator()(const Permute &) const { unexpected(); }
  void operator()(const ParameterTensor &) const { unexpected(); }
};
template <class Store>
RootStage(const char *, const Node &, Store) -> RootStage<Store>;

/// Schedules the stage of a head (see plan.hpp): `conv` and `linear` are called with the operation of
/// the two kinds a plan makes heads. Reaching another kind is an internal error; a new kind fails
/// to compile here until it is given one of the two.
template <class Conv, class Linear_>
struct HeadStage {
  const char *schedule;
  const Node &node;
  Conv conv;
  Linear_ linear;

  void operator()(const Conv2d &op) const { conv(op); }
  void operator()(const Linear &op) const { linear(op); }
  [[noreturn]] void unexpected() const {
    throw std::logic_error(std::string(schedule) + " schedule: " + describe(node) + " planned as a head");
  }
  void operator()(const Pool2d &) const { unexpected(); }
  void operator()(const AdaptivePool2d &) const { unexpected(); }
  void operator()(const BatchNorm &) const { unexpected(); }
  void operator()(const Activation &) const { unexpected(); }
  void operator()(const Softmax &) const { unexpected(); }
  void operator()(const Flatten &) const { unexpected(); }
  void operator()(const Dropout &) const { unexpected(); }
  void operator()(const Identity &) const { unexpected(); }
  void operator()(const Add &) const { unexpected(); }
  void operator()(const Mul &) const { unexpected(); }
  void operator()(const Concat &) const { unexpected(); }
  void operator()(const ChannelSlice &) const { unexpected(); }
  void operator()(const ChannelShuffle &) const { unexpected(); }
  void operator()(const LayerNorm &) const { unexpected(); }
  void operator()(const Permute &) const { unexpected(); }
  void operator()(const ParameterTensor &) const { unexpected(); }
  void operator()(const Pad2d &) const { unexpected(); }
};
template <class Conv, class Linear_>
HeadStage(const char *, const Node &, Conv, Linear_) -> HeadStage<Conv, Linear_>;

/// Under 10 M multiply-adds per image (LeNet: 0.4 M): too small to share one image among threads,
/// and with channels too few to fill vectors, so its images are vectorized or threaded instead.
inline bool is_small_network(const Network &network) {
  std::int64_t macs = 0;
  for (const LayerCost &cost : layer_costs(network)) macs += cost.macs;
  return macs < 10'000'000;
}

}  // namespace cnngen
