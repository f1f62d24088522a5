// The CPU schedule of a direct convolution: its register tiles, the loops around them and where
// its padded input is copied, as a DirectChoice says (or, with too few channels for a vector,
// vectorized across columns); see cpu_steps.hpp.
#include "codegen/cpu_steps.hpp"
#include "codegen/schedule_common.hpp"

namespace cnngen {

using Halide::Func;
using Halide::RVar;
using Halide::TailStrategy;
using Halide::Var;
using Halide::VarOrRVar;

StripLoops strip_loops(const Func &stored) {
  return {Var(stored.name() + "_strip_rows"), Var(stored.name() + "_strips")};
}

void apply_direct(const DirectChoice &choice, const LoweredLayer &layer, Func stored, const Slice *slice,
                  const std::optional<NestedIn> &nested, const CpuContext &context) {
  const int input_channels = static_cast<int>(choice.in_shape[0]);
  Func conv = layer.func;
  Func owner = slice ? slice->concat : stored;  // the Func whose stage holds the tiles
  Halide::Stage stage = slice ? owner.update(slice->update) : Halide::Stage(stored);
  Var x = owner.args()[0], y = owner.args()[1], n = owner.args()[3];
  // The channels: the slice's reduction variable (bare on the left of its update), or a Var.
  VarOrRVar c = slice ? VarOrRVar(rvars(slice->concat, slice->update)[0]) : VarOrRVar(stored.args()[2]);
  VarOrRVar co = slice ? VarOrRVar(RVar("co")) : VarOrRVar(Var("co"));
  VarOrRVar ci = slice ? VarOrRVar(RVar("ci")) : VarOrRVar(Var("ci"));
  // Halide 14 places a Func computed at a loop by the loop's name alone (a LoopLevel's stage index
  // fails its own check): each slice's column loop gets a name of its own.
  Var xo(slice ? "xo_slice" + std::to_string(slice->update) : "xo"), xi("xi"), yo("yo"), yi("yi");
  Var yc("yc"), yn("yn");  // bands × blocks, and those with the images: what the threads share
  const StripLoops strip = strip_loops(stored);
  if (choice.strip_rows) {
    yo = strip.rows;  // the row tiles of a strip, in order
    yn = strip.strips;
  }
  if (nested) {
    // Computed inside the loops of the stage that alone reads it: row by row inside a pooling's
    // rows, or inside a depthwise convolution's strips, kept for the strip and each row tile
    // computing only the rows it reads first. The full-size output is never written to memory.
    stored.compute_at(nested->compute).store_at(nested->store);
  } else if (!slice) {
    stored.compute_root();
    bound_to_shape(stored, choice.shape);
  }
  if (!slice) stored.reorder_storage(stored.args()[2], x, y, n);  // a concatenation stores itself
  const Conv2d &op = choice.op;
  Var ys("ys"), yr("yr");  // strips, and the rows of one
  if (choice.strip_rows) stage.split(y, ys, yr, choice.strip_rows);
  stage.split(choice.strip_rows ? yr : y, yo, yi, choice.block_rows)
      .split(c, co, ci, choice.channels)
      .split(x, xo, xi, choice.columns);
  Var cg("cg"), cb("cb");  // groups of blocks of output channels, the blocks of one (task_blocks)
  if (choice.task_blocks > 1) stage.split(co, cg, cb, choice.task_blocks);
  if (choice.strip_rows) stage.reorder(ci, xi, yi, xo, co, yo, ys, n);
  else if (choice.task_blocks > 1) stage.reorder(ci, xi, yi, xo, cb, yo, cg, n);
  else stage.reorder(ci, xi, yi, xo, choice.blocks_outer ? yo : co, choice.blocks_outer ? co : yo, n);
  stage.vectorize(ci, choice.vector).unroll(ci).unroll(xi).unroll(yi);
  if (choice.strip_rows) {
    // Strips of rows share the threads; a strip's row tiles run in order, each computing the
    // expanded rows it reads first (the rows before stay from the row tile before).
    stage.fuse(ys, n, yn);
  } else if (choice.blocks_outer) {
    // Row tiles of one block of output channels, then of the next: the block's weights stay in L2
    // (where they fit) from one row tile to the next. The blocks × row tiles share the threads.
    // With several blocks per task, a task's blocks one after another read its band's input from L2.
    stage.fuse(yo, choice.task_blocks > 1 ? VarOrRVar(cg) : co, yc).fuse(yc, n, yn);
  } else if (!choice.in_strips) {
    // Inside a strip the rows stay a loop of their own: Halide 14's sliding window over rows fused
    // with the images computed the wrong rows (found by tools/difftest.py).
    stage.fuse(yo, n, yn);
  }
  if (nested) {
    // The loops around it run in parallel.
  } else if (choice.per_image_threads) {
    stage.parallel(yn, static_cast<int>(choice.shape[1]), TailStrategy::GuardWithIf);
  } else {
    stage.parallel(yn);
  }
  std::vector<RVar> r = rvars(conv, 0);  // kx, ky, ci
  Var cx = conv.args()[0], cy = conv.args()[1], cc = conv.args()[2], cn = conv.args()[3];
  // The tile's accumulators are stored channel-innermost too: each vector is one register, with
  // no shuffles between the tile and the registers.
  if (choice.chunk) {
    // The sums of whole rows of tiles (one block of channels × the width × block_rows rows), per
    // slice of input channels: for each tile, its sums loaded into registers, the slice's taps,
    // the sums stored back to L1. The last tile of a row is ragged (guarded), not shifted: an
    // update may not recompute a sum.
    RVar cio("cio"), cii("cii");
    Var cxo("cxo"), cxi("cxi"), cyo("cyo"), cyi("cyi");
    if (choice.task_blocks > 1) conv.compute_at(owner, cb);
    else if (choice.blocks_outer) conv.compute_at(owner, yn);
    else conv.compute_at(owner, co.var);
    conv.update()
        .split(r[2], cio, cii, choice.chunk)
        .split(cx, cxo, cxi, choice.columns, TailStrategy::GuardWithIf)
        .split(cy, cyo, cyi, choice.rows, TailStrategy::GuardWithIf)
        .reorder(cc, cxi, cyi, r[0], r[1], cii, cxo, cyo, cio, cn)
        .unroll(cxi)
        .unroll(cyi);
  } else {
    conv.compute_at(owner, xo).unroll(cx).unroll(cy);
    conv.update().reorder(cc, cx, cy, r[0], r[1], r[2], cn).unroll(cx).unroll(cy);
  }
  conv.reorder_storage(cc, cx, cy, cn).vectorize(cc, choice.vector).unroll(cc);
  conv.update().vectorize(cc, choice.vector).unroll(cc);
  // With few input channels (a first layer on grey or RGB images) the loop over the kernel taps
  // is the inner work: unroll it, but a row of taps only up to 3 wide. Wider rows unrolled let
  // LLVM keep each input value broadcast for every tap that reads it, which spilled the tile's
  // sums to the stack. Not for depthwise convolutions: their tile is already a full register tile
  // per tap, and unrolled taps only multiplied the code and its compile time.
  if (input_channels / op.groups <= 4 && op.groups == 1) {
    if (op.kernel.w <= 3) conv.update().unroll(r[0]);
    if (op.kernel.w * op.kernel.h <= 25) conv.update().unroll(r[1]);
  }
  if (!layer.weights_embedded) {
    // Weights passed at run time arrive in PyTorch's layout: repacked once per call with the
    // output channel innermost.
    Func weight = layer.conv().weights.weight;
    Var kx = weight.args()[0], ky = weight.args()[1], wi = weight.args()[2], wo = weight.args()[3];
    weight.compute_root().reorder_storage(wo, kx, ky, wi).vectorize(wo, choice.vector).parallel(wi);
  }
  if (layer.conv().padded) {
    // Copied by each task just before it reads the rows, row by row as a strip reads them, or
    // whole by a pass of its own.
    using Padded = DirectChoice::Padded;
    const bool whole = choice.padded == Padded::whole;
    Func padded = *layer.conv().padded;
    schedule_channels_innermost(padded, choice.padded_channels, context,
                                whole ? std::optional<Var>(Var(padded.name() + "_yn")) : std::nullopt);
    if (choice.padded == Padded::per_task) padded.compute_at(owner, yn);
    if (choice.padded == Padded::per_strip_row) padded.compute_at(owner, yo).store_at(owner, yn);
    bound_padded(padded, choice.in_shape, op, choice.padded_channels, whole);
  }
}

void apply_columns(const LoweredLayer &layer, Func stored, const Shape &shape, const CpuContext &context) {
  // Computed per channel and image inside the fused chain's loop, four rows at a time so that four
  // accumulators per column vector stay in registers, with the taps of small kernels unrolled.
  const Var images = schedule_generic(stored, static_cast<int>(shape[2]), context);
  Func conv = layer.func;
  Var x = conv.args()[0], y = conv.args()[1];
  std::vector<RVar> r = rvars(conv, 0);
  conv.compute_at(stored, images);
  Var yo("yo"), yi("yi"), xo("xo"), xi("xi");
  const Conv2d &op = std::get<Conv2d>(layer.node->op);
  const bool vectorized = shape[2] >= context.vector;
  // Rows rounded up to whole vectors when the input is padded, and so defined everywhere: the few
  // extra columns cost less than a scalar tail. Otherwise the extra columns would read past the
  // input.
  const std::optional<Func> &padded = layer.conv().padded;
  const TailStrategy tail = padded ? TailStrategy::RoundUp : TailStrategy::GuardWithIf;
  Halide::Stage update = conv.update();
  update.split(y, yo, yi, std::min<int>(4, static_cast<int>(shape[1])), TailStrategy::GuardWithIf);
  if (vectorized) {
    // One column vector of four rows at a time, through every tap: the four sums stay in
    // registers while the taps stream past.
    update.split(x, xo, xi, context.vector, tail).reorder(xi, yi, r[0], r[1], r[2], xo, yo).vectorize(xi);
    conv.vectorize(x, context.vector, tail);
  } else {
    update.reorder(x, yi, r[0], r[1], r[2], yo);
  }
  update.unroll(yi);
  // The taps of small kernels unrolled, as LLVM's loop passes would (cnngen leaves them off:
  // codegen/target_features.hpp).
  if (op.kernel.w <= 5) update.unroll(r[0]);
  if (op.kernel.w <= 5 && op.kernel.h <= 5) update.unroll(r[1]);
  if (padded) schedule_generic(*padded, static_cast<int>(shape[2]), context);
  if (!layer.weights_embedded) Func(layer.conv().weights.weight).compute_root();
}

}  // namespace cnngen
