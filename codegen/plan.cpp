// The schedule plan; see plan.hpp.
#include "codegen/plan.hpp"

#include "dsl/operation_traits.hpp"

namespace cnngen {
namespace {

/// Whether `node` is a pooling whose windows tile its input without overlap or padding.
bool is_tiling_pool(const Node &node) {
  const auto *pool = std::get_if<Pool2d>(&node.op);
  return pool && pool->padding.h == 0 && pool->padding.w == 0 && pool->stride.h == pool->kernel.h &&
         pool->stride.w == pool->kernel.w && !pool->ceil_mode && pool->dilation.h == 1 && pool->dilation.w == 1;
}

/// Whether `op` is a pointwise convolution: 1×1, stride 1, no padding, one group.
bool is_pointwise(const Operation &op) {
  const auto *conv = std::get_if<Conv2d>(&op);
  return conv && conv->kernel.h == 1 && conv->kernel.w == 1 && conv->stride.h == 1 && conv->stride.w == 1 &&
         conv->padding.h == 0 && conv->padding.w == 0 && conv->groups == 1;
}

/// Whether `op` is a depthwise convolution: one group per input and output channel.
bool is_depthwise(const Operation &op) {
  const auto *conv = std::get_if<Conv2d>(&op);
  return conv && conv->groups > 1 && conv->groups == conv->in_channels && conv->groups == conv->out_channels;
}

/// Every batch norm that alone reads a conv2d's or linear's output (the network's output counts as
/// a reader), by index, mapped to that layer's.
std::vector<std::pair<int, int>> foldable_batch_norms(const Network &network) {
  std::vector<int> readers(network.tensors.size(), 0);
  for (const Node &node : network.nodes) {
    for (int tensor : node.inputs) ++readers[static_cast<std::size_t>(tensor)];
  }
  ++readers[static_cast<std::size_t>(network.output)];
  std::vector<std::pair<int, int>> folds;
  for (std::size_t i = 0; i < network.nodes.size(); ++i) {
    const Node &node = network.nodes[i];
    if (!std::holds_alternative<BatchNorm>(node.op)) continue;
    const int tensor = node.inputs.at(0);
    const int producer = network.tensors[static_cast<std::size_t>(tensor)].producer;
    if (producer < 0 || readers[static_cast<std::size_t>(tensor)] != 1) continue;
    if (is_head(network.nodes[static_cast<std::size_t>(producer)].op)) folds.emplace_back(static_cast<int>(i), producer);
  }
  return folds;
}

/// Whether the stage `i` (a mul) is read by a convolution or linear layer. Inlined there, its
/// product would be recomputed for every block of output channels the reader computes, a scalar
/// multiply and a broadcast beside each multiply-add of a register tile one vector of channels
/// wide (RegNetY's SE-scaled 1×1 convolutions on AVX2: 22% of peak against 34% unscaled).
bool read_by_head(const Network &network, const SchedulePlan &plan, std::size_t i) {
  for (const Node &node : network.nodes) {
    if (!is_head(node.op)) continue;
    for (int tensor : node.inputs) {
      if (plan.source[static_cast<std::size_t>(tensor)] == static_cast<int>(i)) return true;
    }
  }
  return false;
}

}  // namespace

SchedulePlan plan_network(const Network &network, bool weights_embedded, const PlanOptions &options) {
  const std::size_t count = network.nodes.size();
  SchedulePlan plan;
  plan.stage_output = options.own_cpu_schedule;
  plan.nodes.resize(count);
  if (weights_embedded && options.fold_batch_norm) {
    for (const auto &[norm, producer] : foldable_batch_norms(network)) {
      plan.nodes[static_cast<std::size_t>(norm)].folded_into = producer;
      plan.nodes[static_cast<std::size_t>(producer)].folded_norm = norm;
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    const Node &node = network.nodes[i];
    NodePlan &entry = plan.nodes[i];
    entry.has_func = !aliases_input(node.op) && entry.folded_into < 0;
    entry.in_slices = options.own_cpu_schedule && std::holds_alternative<Concat>(node.op);
  }
  // Tensors resolved to the stage holding them, in node order (inputs come first).
  plan.source.assign(network.tensors.size(), -1);
  for (std::size_t i = 0; i < count; ++i) {
    const Node &node = network.nodes[i];
    plan.source[static_cast<std::size_t>(node.output)] =
        plan.nodes[i].has_func ? static_cast<int>(i) : plan.source[static_cast<std::size_t>(node.inputs.at(0))];
  }
  // Readers of every stage, and the only one when there is exactly one.
  std::vector<int> only_reader(count, -1);
  for (std::size_t i = 0; i < count; ++i) {
    if (!plan.nodes[i].has_func) continue;
    for (int tensor : network.nodes[i].inputs) {
      const int source = plan.source[static_cast<std::size_t>(tensor)];
      if (source < 0) continue;
      ++plan.nodes[static_cast<std::size_t>(source)].readers;
      only_reader[static_cast<std::size_t>(source)] = static_cast<int>(i);
    }
  }
  if (const int out = plan.source[static_cast<std::size_t>(network.output)]; out >= 0) {
    ++plan.nodes[static_cast<std::size_t>(out)].readers;
    only_reader[static_cast<std::size_t>(out)] = -1;
  }

  for (std::size_t i = 0; i < count; ++i) {
    NodePlan &entry = plan.nodes[i];
    if (!entry.has_func) continue;                     // Role::none
    if (entry.role != NodePlan::Role::none) continue;  // already in a chain
    const FusionRole kind = fusion_role(network.nodes[i].op);
    if (kind == FusionRole::inlined) {
      // A mul that a convolution or linear layer reads: stored once, vectorized, by cnngen's CPU
      // schedules (the GPU schedule and the autoschedulers keep it inlined).
      if (options.own_cpu_schedule && std::holds_alternative<Mul>(network.nodes[i].op) &&
          read_by_head(network, plan, i)) {
        entry.role = NodePlan::Role::root;
      }
      continue;
    }
    if (kind != FusionRole::head) {
      entry.role = NodePlan::Role::root;
      continue;
    }
    entry.role = NodePlan::Role::head;
    entry.tail = static_cast<int>(i);
    int last = static_cast<int>(i);
    for (;;) {
      const NodePlan &at = plan.nodes[static_cast<std::size_t>(last)];
      const int reader =
          options.fuse_epilogues && at.readers == 1 ? only_reader[static_cast<std::size_t>(last)] : -1;
      if (reader < 0) break;
      const Node &next = network.nodes[static_cast<std::size_t>(reader)];
      const FusionRole next_kind = fusion_role(next.op);
      bool joins = next_kind == FusionRole::elementwise;
      if (next_kind == FusionRole::join) {
        // The add's other inputs must be stored before the head's tiles run, and read `last` once.
        int reads_last = 0;
        joins = true;
        for (int tensor : next.inputs) {
          const int source = plan.source[static_cast<std::size_t>(tensor)];
          if (source == last) ++reads_last;
          else if (source >= static_cast<int>(i)) joins = false;
        }
        joins = joins && reads_last == 1;
      }
      if (!joins) break;
      entry.chain.push_back(reader);
      last = reader;
    }
    entry.tail = last;
    for (int member : entry.chain) {
      NodePlan &fused = plan.nodes[static_cast<std::size_t>(member)];
      fused.role = member == last ? NodePlan::Role::tail : NodePlan::Role::fused;
      fused.head = static_cast<int>(i);
      fused.tail = last;
    }
    const NodePlan &tail = plan.nodes[static_cast<std::size_t>(last)];
    const int reader = tail.readers == 1 ? only_reader[static_cast<std::size_t>(last)] : -1;
    if (reader < 0) continue;
    const Node &read_by = network.nodes[static_cast<std::size_t>(reader)];
    if (std::holds_alternative<Conv2d>(network.nodes[i].op) && is_tiling_pool(read_by)) entry.pool = reader;
    if (options.fuse_epilogues && options.own_cpu_schedule && is_pointwise(network.nodes[i].op) &&
        is_depthwise(read_by.op))
      entry.strip_reader = reader;
    if (options.fuse_epilogues && std::holds_alternative<Concat>(read_by.op)) {
      entry.concat = reader;
      for (std::size_t j = 0; j < read_by.inputs.size(); ++j) {
        if (plan.source[static_cast<std::size_t>(read_by.inputs[j])] == last) entry.concat_input = static_cast<int>(j);
      }
    }
  }
  return plan;
}

}  // namespace cnngen
