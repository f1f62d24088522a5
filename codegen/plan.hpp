// The schedule plan: which batch norms fold into the layer before them, which stages of a network
// are computed inside another's tiles and which stage stores each tensor, and the form of each
// concatenation — decided once on the graph (as hannk's transforms do) by the driver, and followed
// by lowering (lower.hpp) and every schedule (schedule_cpu.cpp, schedule_batched.cpp,
// schedule_gpu.cpp).
//
// Rules, on the graph of stages (a node without a Func — dropout, identity, a batch norm folded
// into the layer before it — is looked through: its readers read the stage it aliases):
// - Folding (with embedded weights): a batch norm that alone reads a conv2d's or linear's output
//   folds into that layer's weights and bias (the network's output counts as a reader).
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
// - A mul is inlined into its readers, except, for cnngen's own CPU schedules (own_cpu_schedule),
//   where a convolution or linear layer reads it (squeeze-and-excitation's scaled input before the
//   projection): then it is stored whole, once. Inlined there, each product was recomputed for
//   every block of the reader's output channels, a scalar multiply and a broadcast beside each
//   multiply-add.
// - concat_slice: a head whose chain's tail has exactly one reader, a concatenation (that reads it
//   once): the CPU schedule may compute the head's tiles inside the concatenation's update for
//   that input, writing them straight into the input's channel slice (the tail is then inlined
//   and never stored on its own). Other inputs of a concatenation are copied into it. Not with
//   `fuse_epilogues` off. For cnngen's own per-image CPU schedule every concatenation is lowered
//   so (one update per input, in_slices); its batch-vectorized copy and the other schedules
//   select the input holding each channel.
// - strip_reader (cnngen's own per-image CPU schedule only, with `fuse_epilogues`): a pointwise
//   convolution (1×1, stride 1, no padding, one group: an inverted residual's expansion) whose
//   chain's tail has exactly one reader, a depthwise convolution (one group per channel) that
//   reads it as its input. The CPU schedule may compute the depthwise convolution in strips of
//   rows and the pointwise one's tiles inside each strip's rows, as they are read, so that the
//   expanded tensor never goes through memory whole (cpu_choices.hpp, depthwise_strip_rows).
#pragma once

#include <vector>

#include "dsl/network.hpp"

namespace cnngen {

/// What the driver asks of the plan.
struct PlanOptions {
  /// Fold batch norms (with embedded weights only: folding needs their values).
  bool fold_batch_norm = true;
  /// Let heads compute element-wise layers and residual adds in their epilogue. Off: each stage is
  /// stored on its own (for measuring what fusion gains).
  bool fuse_epilogues = true;
  /// For cnngen's own per-image CPU schedule: concatenations in slices (in_slices), the output's
  /// values a stage of their own that it stores in transposed blocks (stage_output), and a mul that
  /// a convolution or linear layer reads stored (its batch-vectorized copy too). Off for the
  /// GPU schedule and Halide's autoschedulers (with the output staged, Adams2019 scheduled a small
  /// network's softmax into wrong values).
  bool own_cpu_schedule = false;
};

/// What lowering and the schedules do with one node (indices are into Network::nodes and the
/// lowered layers).
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
  int strip_reader = -1;   // head: the depthwise convolution that alone reads its tail (see above)
  int folded_into = -1;    // batch norm: the conv2d or linear it folds into (it has no Func)
  int folded_norm = -1;    // conv2d or linear: the batch norm folded into it, whose output it computes
  bool in_slices = false;  // concat: lowered as one update per input, each writing its slice
  bool has_func = false;   // lowering gives it a Func: not dropout, identity or a folded batch norm
};

struct SchedulePlan {
  std::vector<NodePlan> nodes;
  /// The node whose Func holds tensor t (looking through nodes without a Func); -1 for the input.
  std::vector<int> source;
  /// The output's values a Func of their own, for the CPU schedule to stage (PlanOptions).
  bool stage_output = false;

  const NodePlan &operator[](std::size_t i) const { return nodes[i]; }
  /// Whether head `i` fuses a chain (and so stores its tail, not a wrapper of itself).
  bool fuses(std::size_t i) const { return nodes[i].tail != static_cast<int>(i); }
};

/// The plan for `network`, whose weights are embedded (`weights_embedded`: then batch norms may
/// fold) or passed at run time.
SchedulePlan plan_network(const Network &network, bool weights_embedded, const PlanOptions &options = {});

}  // namespace cnngen
