// The schedule plan; see plan.hpp.
#include "codegen/plan.hpp"

#include <stdexcept>

#include "dsl/operation_traits.hpp"

namespace cnngen {
namespace {

/// Whether `node` is a pooling whose windows tile its input without overlap or padding.
bool is_tiling_pool(const Node &node) {
  const auto *pool = std::get_if<Pool2d>(&node.op);
  return pool && pool->padding.h == 0 && pool->padding.w == 0 && pool->stride.h == pool->kernel.h &&
         pool->stride.w == pool->kernel.w && !pool->ceil_mode;
}

}  // namespace

SchedulePlan plan_schedule(const Network &network, const std::vector<LoweredLayer> &layers,
                           bool fuse_epilogues) {
  if (layers.size() != network.nodes.size()) {
    throw std::logic_error("schedule plan: lowered layers do not match the network's nodes");
  }
  const std::size_t count = layers.size();
  SchedulePlan plan;
  plan.nodes.resize(count);
  // Tensors resolved to the stage holding them, in node order (inputs come first).
  plan.source.assign(network.tensors.size(), -1);
  for (std::size_t i = 0; i < count; ++i) {
    const Node &node = *layers[i].node;
    const int output = node.output;
    plan.source[static_cast<std::size_t>(output)] =
        layers[i].func.defined() ? static_cast<int>(i)
                                 : plan.source[static_cast<std::size_t>(node.inputs.at(0))];
  }
  // Readers of every stage, and the only one when there is exactly one.
  std::vector<int> only_reader(count, -1);
  for (std::size_t i = 0; i < count; ++i) {
    if (!layers[i].func.defined()) continue;
    for (int tensor : layers[i].node->inputs) {
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
    if (!layers[i].func.defined()) continue;  // Role::none
    if (entry.role != NodePlan::Role::none) continue;  // already in a chain
    const FusionRole kind = fusion_role(layers[i].node->op);
    if (kind == FusionRole::inlined) continue;
    if (kind != FusionRole::head) {
      entry.role = NodePlan::Role::root;
      continue;
    }
    entry.role = NodePlan::Role::head;
    entry.tail = static_cast<int>(i);
    int last = static_cast<int>(i);
    for (;;) {
      const NodePlan &at = plan.nodes[static_cast<std::size_t>(last)];
      const int reader = fuse_epilogues && at.readers == 1 ? only_reader[static_cast<std::size_t>(last)] : -1;
      if (reader < 0) break;
      const Node &next = *layers[static_cast<std::size_t>(reader)].node;
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
    const Node &read_by = *layers[static_cast<std::size_t>(reader)].node;
    if (std::holds_alternative<Conv2d>(layers[i].node->op) && is_tiling_pool(read_by)) entry.pool = reader;
    if (fuse_epilogues && std::holds_alternative<Concat>(read_by.op)) {
      entry.concat = reader;
      for (std::size_t j = 0; j < read_by.inputs.size(); ++j) {
        if (plan.source[static_cast<std::size_t>(read_by.inputs[j])] == last) entry.concat_input = static_cast<int>(j);
      }
    }
  }
  return plan;
}

}  // namespace cnngen
