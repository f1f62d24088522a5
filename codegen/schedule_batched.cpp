// Batch-vectorized CPU schedule; see schedule_batched.hpp.
//
// Inside the output's loop over blocks of images (parallel), every layer of the batched copy is
// computed for the whole block before the next, stored (n, c, x, y) with n innermost, so that one
// vector is one value of every image of the block. A convolution multiplies a broadcast weight by
// such vectors into a register tile of output channels × columns; a linear layer, a broadcast
// weight by a vector of inputs into a tile of output features. Fusion follows plan.hpp: a layer's
// fused chain (batch norm, activations, a residual add) is computed in the layer's register tiles.
#include "codegen/schedule_batched.hpp"


#include "codegen/plan.hpp"
#include "codegen/schedule_common.hpp"

namespace cnngen {
namespace {

using Halide::Func;
using Halide::RVar;
using Halide::TailStrategy;
using Halide::Var;
using Halide::VarOrRVar;

constexpr int kAccumulators = 24;  // vector registers kept for a tile's sums (of 32 with AVX-512)

struct Block {
  Func output;
  Var images;  // the output's loop over blocks: every stage is computed inside it
  int vector;
};

/// Storage and loop order with the image (the last argument) first, then the others in order.
std::vector<Var> images_first(const Func &func) {
  std::vector<Var> args = func.args();
  std::vector<Var> order{args.back()};
  order.insert(order.end(), args.begin(), args.end() - 1);
  return order;
}

/// `func` computed per block, vectorized across the block's images, its reductions inside.
void schedule_in_block(Func func, const Block &block) {
  std::vector<Var> order = images_first(func);
  Var n = order.front();
  func.compute_at(block.output, block.images);
  if (order.size() > 1) {
    func.reorder_storage(order).reorder(std::vector<VarOrRVar>(order.begin(), order.end()));
  }
  func.vectorize(n, block.vector);
  for (int i = 0; i < func.num_update_definitions(); ++i) {
    std::vector<VarOrRVar> update_order{n};
    for (const RVar &r : rvars(func, i)) update_order.emplace_back(r);
    update_order.insert(update_order.end(), order.begin() + 1, order.end());
    func.update(i).reorder(update_order).vectorize(n, block.vector);
  }
}

/// A tile of channels × columns, both dividing their extents, with as many sums as fit.
std::pair<int, int> conv_tile(int channels, int width) {
  std::pair<int, int> best{1, 1};
  for (int c = 1; c <= std::min(channels, kAccumulators); ++c) {
    if (channels % c != 0) continue;
    int x = divisor_at_most(width, kAccumulators / c);
    if (c * x > best.first * best.second) best = {c, x};
  }
  return best;
}

/// A convolution and the stage that stores it (its fused activation, or a wrapper).
void schedule_conv(const LoweredLayer &layer, Func stored, const Shape &shape, const Block &block) {
  Var x = stored.args()[0], y = stored.args()[1], c = stored.args()[2], n = stored.args()[3];
  Var co("co"), ci("ci"), xo("xo"), xi("xi");
  auto [channel_tile, column_tile] = conv_tile(static_cast<int>(shape[0]), static_cast<int>(shape[2]));
  // The whole tensor, as in the per-image schedule (bound_to_shape): where a reader needs fewer
  // columns (a pooling that skips the last), a tile shifted inwards started before column 0 and
  // read the input out of bounds (tools/difftest.py; tests/differential/batched_shifted_tile).
  bound_to_shape(stored, shape);
  stored.compute_at(block.output, block.images)
      .reorder_storage(n, c, x, y)
      .split(c, co, ci, channel_tile)
      .split(x, xo, xi, column_tile)
      .reorder(n, ci, xi, co, xo, y)
      .vectorize(n, block.vector)
      .unroll(ci)
      .unroll(xi);
  Func conv = layer.func;
  Var cx = conv.args()[0], cy = conv.args()[1], cc = conv.args()[2], cn = conv.args()[3];
  std::vector<RVar> r = rvars(conv, 0);  // kx, ky, ci
  conv.compute_at(stored, co).reorder_storage(cn, cc, cx, cy).vectorize(cn, block.vector)
      .unroll(cc).unroll(cx);
  conv.update().reorder(cn, cc, cx, r[0], r[1], r[2], cy).vectorize(cn, block.vector)
      .unroll(cc).unroll(cx);
  const Conv2d &op = std::get<Conv2d>(layer.node->op);
  if (op.kernel.w <= 7) conv.update().unroll(r[0]);
  if (layer.conv().padded) schedule_in_block(*layer.conv().padded, block);
}

/// A linear layer and the stage that stores it: tiles of output features × the block's images.
void schedule_linear(const LoweredLayer &layer, Func stored, int features, const Block &block) {
  Var f = stored.args()[0], n = stored.args()[1];
  Var fo("fo"), fi("fi");
  int tile = divisor_at_most(features, 12);
  stored.compute_at(block.output, block.images)
      .reorder_storage(n, f)
      .split(f, fo, fi, tile)
      .reorder(n, fi, fo)
      .vectorize(n, block.vector)
      .unroll(fi);
  Func linear = layer.func;
  Var lf = linear.args()[0], ln = linear.args()[1];
  linear.compute_at(stored, fo).reorder_storage(ln, lf).vectorize(ln, block.vector).unroll(lf);
  linear.update().reorder(ln, lf, rvars(linear, 0)[0]).vectorize(ln, block.vector).unroll(lf);
}

}  // namespace

int batch_vector_width(const Network &network, const Halide::Target &target) {
  const Shape &input = network.tensors[static_cast<std::size_t>(network.input)].shape;
  if (input.size() != 3 || target.has_gpu_feature()) return 0;
  // strict_float wraps the output's select between the copies, so the specialization no longer
  // prunes the batched copy from the per-image branch, where it has no loop to be computed at.
  if (target.has_feature(Halide::Target::StrictFloat)) return 0;
  // Larger networks have channels enough to vectorize across them, and images too large for a
  // block of them to stay in cache.
  return is_small_network(network) ? target.natural_vector_size(Halide::Float(32)) : 0;
}

void schedule_batched(LoweredNetwork &lowered, const Network &network) {
  Block block{lowered.output, Var("images"), lowered.batch_vector};
  std::vector<Var> args = lowered.output.args();
  Var n = args.back(), ni("ni");
  std::vector<VarOrRVar> order(args.begin(), args.end() - 1);
  order.push_back(ni);
  order.push_back(block.images);
  // The last block is shifted to end at the batch's end (the condition guarantees one block).
  lowered.output.specialize(lowered.batched_condition)
      .split(n, block.images, ni, block.vector, TailStrategy::ShiftInwards)
      .reorder(order)
      .parallel(block.images);

  std::vector<LoweredLayer> &layers = lowered.batched_layers;
  const ConvStages *first = layers.empty() ? nullptr : std::get_if<ConvStages>(&layers.front().stages);
  if (!first || !first->padded) schedule_in_block(lowered.batched_input, block);
  const SchedulePlan &plan = lowered.plan;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    LoweredLayer &layer = layers[i];
    // A batch norm's scale and shift (over the channel alone): once per call.
    for (Func per_channel : layer.per_channel()) per_channel.compute_root();
    const NodePlan &entry = plan[i];
    if (entry.role == NodePlan::Role::root) {
      // Every stored stage of the batched copy is computed per block, vectorized across its images.
      auto store = [&](const auto &) { schedule_in_block(layer.func, block); };
      visit_operation(layer.node->op, RootStage{"batched", *layer.node, store});
      for (const Func &internal : layer.internals()) schedule_in_block(internal, block);
      continue;
    }
    if (entry.role != NodePlan::Role::head) continue;  // inlined, or stored by its head
    const Shape &shape = network.tensors[static_cast<std::size_t>(layer.node->output)].shape;
    Func stored = plan.fuses(i) ? layers[static_cast<std::size_t>(entry.tail)].func : layer.func.in();
    visit_operation(layer.node->op,
                    HeadStage{"batched", *layer.node, [&](const Conv2d &) { schedule_conv(layer, stored, shape, block); },
                              [&](const Linear &) { schedule_linear(layer, stored, static_cast<int>(shape[0]), block); }});
  }
}

}  // namespace cnngen
