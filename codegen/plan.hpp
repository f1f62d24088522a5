// The schedule plan: which stages of a lowered network are computed inside another's tiles and
// which stage stores each tensor, decided once on the graph (as hannk's transforms do) and followed
// by every schedule (schedule_cpu.cpp, schedule_batched.cpp, schedule_gpu.cpp).
//
// Rules, on the graph of stages (a node without a Func — dropout, identity, a batch norm folded
// into the layer before it — is looked through: its readers read the stage it aliases):
// - Readers of a stage: the stages whose inputs resolve to it, once per input, plus the network's
//   output when the output resolves to it.
// - A conv2d or linear stage (a "head") fuses the element-wise chain that follows it: while the
//   last stage of the chain has exactly one reader, and that reader is a batch norm with a Func,
//   an activation (relu, relu6, sigmoid, tanh) or an add whose other inputs are all produced by
//   stages before the head (so already stored when the head's tiles run), the reader joins the
//   chain. The chain's last stage (its "tail") is stored, tile by tile, by the head's schedule;
//   the head is computed inside each tile; the stages between are inlined. A conv2d, batch norm,
//   add, relu chain is ResNet's residual epilogue: the sum and the relu never touch memory apart.
//   Intermediate tensors thus have exactly one reader; the tail may have any.
// - A head with no chain stores itself (through a wrapper, so every reader reads the stored copy).
// - tiling_pool (CPU per-image schedule of larger networks only): the max or average pooling that
//   alone reads a conv2d chain's tail, with windows that tile the input without overlap or
//   padding; the tail is then computed row by row inside the pooling's rows.
// - Every other stage with a Func (pooling, adaptive pooling, unfolded batch norm, activations,
//   add, concat, softmax) is stored whole (compute_root) by a generic schedule; flatten is inlined.
//   Concat is stored once.
// - concat_slice: a head whose chain's tail has exactly one reader, a concatenation (that reads it
//   once): the CPU schedule may compute the head's tiles inside the concatenation's update for
//   that input, writing them straight into the input's channel slice (the tail is then inlined
//   and never stored on its own). Other inputs of a concatenation are copied into it. Not with
//   `fuse_epilogues` off.
#pragma once

#include <vector>

#include "codegen/lower.hpp"

namespace cnngen {

/// What the schedules do with one node (indices are into Network::nodes and the lowered layers).
struct NodePlan {
  enum class Role {
    none,     // no Func (dropout, identity, folded batch norm), or flatten: nothing to schedule
    head,     // conv2d or linear: computed inside the tiles of `tail`, which its schedule stores
    fused,    // inside a head's chain (not the tail): inlined
    tail,     // the last stage of a head's chain (stored by the head's schedule)
    root,     // stored whole by the generic schedule of its kind
  };
  Role role = Role::none;
  int head = -1;  // head and fused, tail: the chain's head
  int tail = -1;  // head: its chain's last stage (the head itself when nothing fuses)
  std::vector<int> chain;  // head: the stages after it in its chain, in order (the tail last)
  int readers = 0;         // stages (and the network's output) reading this stage's Func
  int pool = -1;           // head of a conv2d: the tiling pooling that alone reads its tail
  int concat = -1;         // head: the concatenation that alone reads its tail (see above)
  int concat_input = -1;   // ... and which of its inputs the tail is
};

struct SchedulePlan {
  std::vector<NodePlan> nodes;
  /// The node whose Func holds tensor t (looking through nodes without a Func); -1 for the input.
  std::vector<int> source;

  const NodePlan &operator[](std::size_t i) const { return nodes[i]; }
  /// Whether head `i` fuses a chain (and so stores its tail, not a wrapper of itself).
  bool fuses(std::size_t i) const { return nodes[i].tail != static_cast<int>(i); }
};

/// The plan for `layers` (lowered.layers or lowered.batched_layers, one per node of `network`).
/// With `fuse_epilogues` false no chain forms: every stage is stored on its own (for measuring
/// what fusion gains).
SchedulePlan plan_schedule(const Network &network, const std::vector<LoweredLayer> &layers,
                           bool fuse_epilogues = true);

}  // namespace cnngen
