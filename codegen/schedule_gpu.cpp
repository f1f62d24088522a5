// GPU schedule; see schedule_gpu.hpp.
#include "codegen/schedule_gpu.hpp"


#include "codegen/plan.hpp"
#include "codegen/schedule_common.hpp"

namespace cnngen {
namespace {

using Halide::Func;
using Halide::MemoryType;
using Halide::RVar;
using Halide::TailStrategy;
using Halide::Var;
using Halide::VarOrRVar;

constexpr int kWarp = 32;
constexpr int kSharedFloats = 4096;  // per staged buffer: 16 KB, within every GPU's shared memory

bool channels_innermost(const Shape &shape) { return shape.size() == 3 && shape[0] % kWarp == 0; }

/// A stage computed by one thread per element: threads over the innermost stored dimension (or a
/// 2-D tile of the image), blocks over the rest; reductions run serially inside each thread.
void schedule_elementwise(Func func, bool channels_inner) {
  std::vector<Var> args = func.args();
  func.compute_root();
  if (args.size() == 4 && channels_inner) func.reorder_storage(args[2], args[0], args[1], args[3]);
  auto place = [&](auto &&stage, const std::vector<RVar> &reductions) {
    std::vector<VarOrRVar> inner(reductions.begin(), reductions.end());
    auto order = [&](std::vector<VarOrRVar> rest) {
      rest.insert(rest.begin(), inner.begin(), inner.end());
      stage.reorder(rest);
    };
    if (args.size() == 4) {
      Var x = args[0], y = args[1], c = args[2], n = args[3];
      Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), co("co"), ci("ci"), t("t");
      if (channels_inner) {
        stage.split(c, co, ci, kWarp).split(x, xo, xi, 4, TailStrategy::GuardWithIf);
        order({ci, xi, co, xo, y, n});
        stage.fuse(co, n, t).gpu_threads(ci, xi).gpu_blocks(xo, y, t);
      } else {
        stage.split(x, xo, xi, 16, TailStrategy::GuardWithIf).split(y, yo, yi, 8, TailStrategy::GuardWithIf);
        order({xi, yi, xo, yo, c, n});
        stage.fuse(c, n, t).gpu_threads(xi, yi).gpu_blocks(xo, yo, t);
      }
    } else if (args.size() == 3) {
      Var x = args[0], y = args[1], n = args[2], xo("xo"), xi("xi"), yo("yo"), yi("yi");
      stage.split(x, xo, xi, 16, TailStrategy::GuardWithIf).split(y, yo, yi, 8, TailStrategy::GuardWithIf);
      order({xi, yi, xo, yo, n});
      stage.gpu_threads(xi, yi).gpu_blocks(xo, yo, n);
    } else {
      Var f = args[0], fo("fo"), fi("fi");
      stage.split(f, fo, fi, 64, TailStrategy::GuardWithIf);
      std::vector<VarOrRVar> loops{fi, fo};
      loops.insert(loops.end(), args.begin() + 1, args.end());
      order(loops);
      stage.gpu_threads(fi);
      if (args.size() == 2) stage.gpu_blocks(fo, args[1]);
      else stage.gpu_blocks(fo);
    }
  };
  place(func, {});
  for (int i = 0; i < func.num_update_definitions(); ++i) place(func.update(i), rvars(func, i));
}

/// The Func the convolution reads: its zero-padded input, or its input as stored. A layer stored
/// through its global wrapper (a convolution without a fused activation: `func.in()`, the same
/// wrapper on every call) must be read through that wrapper: a wrapper of the layer itself for
/// this convolution alone would read it unwrapped, where it has no place to be computed (found by
/// tools/difftest.py: two convolutions in a row on the GPU were an internal error).
Func conv_source(const LoweredLayer &layer) {
  return layer.conv().padded ? *layer.conv().padded : Func(layer.input).in();
}


/// Copies `stage` (a wrapper computed in a block) with all of its points spread over `threads`.
void spread_over_threads(Func stage, const std::vector<Var> &order, int threads) {
  Var outer("outer"), lane("lane");
  stage.reorder(std::vector<VarOrRVar>(order.begin(), order.end()));
  Var fused = order[0];
  for (std::size_t i = 1; i < order.size(); ++i) {
    Var next(stage.name() + "_f" + std::to_string(i));
    stage.fuse(fused, order[i], next);
    fused = next;
  }
  stage.split(fused, outer, lane, threads, TailStrategy::GuardWithIf).gpu_threads(lane);
}

/// A convolution with a multiple of 32 output channels (see schedule_gpu.hpp).
void schedule_conv_lanes(const LoweredLayer &layer, Func stored, const Shape &shape,
                         const Shape &in_shape) {
  const Conv2d &op = std::get<Conv2d>(layer.node->op);
  Var x = stored.args()[0], y = stored.args()[1], c = stored.args()[2], n = stored.args()[3];
  Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), co("co"), ci("ci"), t("t");
  int tile_x = std::min<int>(4, static_cast<int>(shape[2]));
  int tile_y = std::min<int>(4, static_cast<int>(shape[1]));
  bound_to_shape(stored, shape);
  stored.compute_root()
      .reorder_storage(c, x, y, n)
      .split(x, xo, xi, tile_x, TailStrategy::ShiftInwards)
      .split(y, yo, yi, tile_y, TailStrategy::ShiftInwards)
      .split(c, co, ci, kWarp)
      .reorder(xi, yi, ci, xo, yo, co, n)
      .unroll(xi)
      .unroll(yi)
      .fuse(co, n, t)
      .gpu_threads(ci)
      .gpu_blocks(xo, yo, t);
  Func conv = layer.func;
  Var cx = conv.args()[0], cy = conv.args()[1], cc = conv.args()[2];
  std::vector<RVar> r = rvars(conv, 0);  // kx, ky, input channel
  RVar rzo("rzo"), rzi("rzi");
  const int taps = static_cast<int>(op.kernel.w * op.kernel.h);
  const int in_per_group = static_cast<int>(in_shape[0] / op.groups);
  const int chunk = divisor_at_most(in_per_group, std::max(1, std::min(16, kSharedFloats / (kWarp * taps))));
  conv.compute_at(stored, xo).store_in(MemoryType::Register).gpu_threads(cc).unroll(cx).unroll(cy);
  // Inside each chunk the thread loop holds the whole chunk's reduction: a thread loop nested inside
  // the unrolled pixels instead makes each multiply-add its own thread region, with a barrier after
  // it and the sums in local memory: a barrier per multiply-add.
  conv.update()
      .split(r[2], rzo, rzi, chunk)
      .reorder(cx, cy, r[0], r[1], rzi, cc, rzo)
      .gpu_threads(cc)
      .unroll(cx)
      .unroll(cy);
  if (op.kernel.w <= 3) conv.update().unroll(r[0]);
  // Each chunk of input channels: the window of input the block reads, and the weights.
  Func source = conv_source(layer);
  Func window = source.in(conv);
  window.compute_at(conv, rzo).store_in(MemoryType::GPUShared);
  spread_over_threads(window, {window.args()[2], window.args()[0], window.args()[1], window.args()[3]}, kWarp);
  Func weights = Func(layer.conv().weights.weight).in(conv);
  weights.compute_at(conv, rzo).store_in(MemoryType::GPUShared);
  spread_over_threads(weights, {weights.args()[3], weights.args()[0], weights.args()[1], weights.args()[2]}, kWarp);
}

/// A convolution with fewer or odd output channels (see schedule_gpu.hpp).
void schedule_conv_pixels(const LoweredLayer &layer, Func stored, const Shape &shape,
                          const Shape &in_shape) {
  const Conv2d &op = std::get<Conv2d>(layer.node->op);
  Var x = stored.args()[0], y = stored.args()[1], c = stored.args()[2], n = stored.args()[3];
  Var xo("xo"), xi("xi"), yo("yo"), yi("yi");
  int tile_x = std::min<int>(16, static_cast<int>(shape[2]));
  int tile_y = std::min<int>(8, static_cast<int>(shape[1]));
  bound_to_shape(stored, shape);
  stored.compute_root()
      .split(x, xo, xi, tile_x, TailStrategy::ShiftInwards)
      .split(y, yo, yi, tile_y, TailStrategy::ShiftInwards)
      .reorder(c, xi, yi, xo, yo, n)
      .gpu_threads(xi, yi)
      .gpu_blocks(xo, yo, n);
  const bool unroll_channels = shape[0] <= 16;
  if (unroll_channels) stored.unroll(c);
  Func conv = layer.func;
  std::vector<RVar> r = rvars(conv, 0);
  conv.compute_at(stored, xi).store_in(MemoryType::Register);
  conv.update().reorder(conv.args()[2], r[0], r[1], r[2]);
  if (unroll_channels) conv.unroll(conv.args()[2]).update().unroll(conv.args()[2]);
  if (op.kernel.w <= 5) conv.update().unroll(r[0]);
  // The block's input window, all channels, in shared memory when it fits.
  std::int64_t window_w = (tile_x - 1) * op.stride.w + (op.kernel.w - 1) * op.dilation.w + 1;
  std::int64_t window_h = (tile_y - 1) * op.stride.h + (op.kernel.h - 1) * op.dilation.h + 1;
  if (window_w * window_h * in_shape[0] <= kSharedFloats) {
    Func window = conv_source(layer).in(conv);
    window.compute_at(stored, xo).store_in(MemoryType::GPUShared);
    spread_over_threads(window, {window.args()[0], window.args()[1], window.args()[2], window.args()[3]},
                        tile_x * tile_y);
  }
}

/// A linear layer and the stage that stores it (see schedule_gpu.hpp).
void schedule_linear(const LoweredLayer &layer, Func stored) {
  constexpr int kImages = 8;
  Var f = stored.args()[0], n = stored.args()[1];
  Var fo("fo"), fi("fi"), no("no"), ni("ni");
  stored.compute_root()
      .split(f, fo, fi, 64, TailStrategy::GuardWithIf)
      .split(n, no, ni, kImages, TailStrategy::GuardWithIf)
      .reorder(ni, fi, fo, no)
      .unroll(ni)
      .gpu_threads(fi)
      .gpu_blocks(fo, no);
  Func linear = layer.func;
  Var ln = linear.args()[1];
  linear.compute_at(stored, fi).store_in(MemoryType::Register);
  linear.update().reorder(ln, rvars(linear, 0)[0]);
  (void)ln;
}

}  // namespace

void schedule_gpu(LoweredNetwork &lowered, const Network &network, const Halide::Target &) {
  std::vector<LoweredLayer> &layers = lowered.layers;
  const SchedulePlan &plan = lowered.plan;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    LoweredLayer &layer = layers[i];
    // A batch norm's scale and shift (over the channel alone): one small kernel each per call.
    for (const Func &per_channel : layer.per_channel()) schedule_elementwise(per_channel, false);
    const NodePlan &entry = plan[i];
    const Shape &shape = network.tensors[static_cast<std::size_t>(layer.node->output)].shape;
    if (entry.role == NodePlan::Role::root) {
      // A stored stage: a thread per element, channels innermost where they fill warps. Bounded to
      // its shape: a reader of some channels only (chunk, narrow) would otherwise shift a warp's
      // tile of channels below 0, into a parameter read at a negative channel.
      auto store = [&](const auto &) {
        bound_to_shape(layer.func, shape);
        schedule_elementwise(layer.func, channels_innermost(shape));
      };
      visit_operation(layer.node->op, RootStage{"GPU", *layer.node, store});
      for (const Func &internal : layer.internals()) schedule_elementwise(internal, channels_innermost(shape));
      continue;
    }
    if (entry.role != NodePlan::Role::head) continue;  // inlined, or stored by its head
    const Shape &in_shape = network.tensors[static_cast<std::size_t>(layer.node->inputs[0])].shape;
    Func stored = plan.fuses(i) ? layers[static_cast<std::size_t>(entry.tail)].func : layer.func.in();
    bound_to_shape(stored, shape);  // as a stored stage's, for the same reason
    auto conv = [&](const Conv2d &) {
      if (shape[0] % kWarp == 0) schedule_conv_lanes(layer, stored, shape, in_shape);
      else schedule_conv_pixels(layer, stored, shape, in_shape);
      if (layer.conv().padded) schedule_elementwise(*layer.conv().padded, channels_innermost(in_shape));
    };
    visit_operation(layer.node->op,
                    HeadStage{"GPU", *layer.node, conv, [&](const Linear &) { schedule_linear(layer, stored); }});
    if (!layer.weights_embedded) {
      // Weights passed at run time: repacked on the GPU with the output channel innermost.
      Func weight = layer.head_weights().weight;
      std::vector<Var> args = weight.args();
      std::vector<Var> storage{args.back()};
      storage.insert(storage.end(), args.begin(), args.end() - 1);
      weight.compute_root().reorder_storage(storage);
      spread_over_threads(weight, storage, 64);
      weight.gpu_blocks(Var("outer"));
    }
  }
  // The output is copied on the CPU, so that the caller's host buffer holds the result when the
  // call returns, as with a CPU library.
  Var n = lowered.output.args().back();
  lowered.output.compute_root().parallel(n);
}

}  // namespace cnngen
