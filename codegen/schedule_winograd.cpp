// The CPU schedule of a convolution computed by Winograd (winograd.hpp), as a WinogradChoice
// says; see cpu_steps.hpp.
#include "codegen/cpu_steps.hpp"
#include "codegen/schedule_common.hpp"

namespace cnngen {

using Halide::Func;
using Halide::RVar;
using Halide::TailStrategy;
using Halide::Var;

/// A convolution computed by Winograd (winograd.hpp) and its fused epilogue `stored`, band by band
/// of tile rows (a tile: m×m outputs, m = 2 or 4, from P×P inputs, P = m + r - 1 for an r×r kernel:
/// 4 or 6). Per band: the input transform V of its tiles, all input channels; then per block of
/// output channels (4 vectors), the P² products M, each product (e, f) for all the band's tiles in
/// register tiles of 4 vectors of channels × `group` tiles (28 of AVX-512's 32 registers; 4 × 3 of
/// AVX2's 16), summed over the input channels: a transformed weight vector serves `group` tiles, a
/// V value (broadcast) 4 vectors; and last the output transform, m×m pixels per tile. The block's
/// transformed weights for one product (in × 64 floats: 128 KB at 512 inputs) stay in L2 while the
/// band's tiles stream past, so bands hold at least 28 tiles (or the whole image): all the weights
/// (P² × in × out floats, 16.8 MB for F(2×2) at 512 → 512) then come from L3 or memory once per
/// 28 tiles. V of a band takes P² × in × tiles floats (917 KB for F(2×2), 512 channels and 28 tiles);
/// working sets per loop level: docs/performance.md ("Winograd F(2×2, 3×3)").
void apply_winograd(const WinogradChoice &choice, const LoweredLayer &layer, Func stored) {
  Var x = stored.args()[0], y = stored.args()[1], c = stored.args()[2], n = stored.args()[3];
  Var co("co"), ci("ci"), cv("cv"), cl("cl"), xo("xo"), xi("xi"), yb("yb"), yr("yr"), yo("yo"), yi("yi"),
      ybn("ybn");
  stored.compute_root();
  bound_to_shape(stored, choice.shape);
  stored.reorder_storage(c, x, y, n)
      .split(c, co, ci, choice.vectors * choice.vector)
      .split(ci, cl, cv, choice.vector)
      .split(x, xo, xi, choice.tile, TailStrategy::GuardWithIf)
      .split(y, yb, yr, choice.tile * choice.band, TailStrategy::GuardWithIf)
      .split(yr, yo, yi, choice.tile)
      .reorder(cv, xi, yi, cl, xo, yo, co, yb, n)
      .vectorize(cv)
      .unroll(xi)
      .unroll(yi)
      .fuse(yb, n, ybn);
  stored.parallel(choice.channel_threads ? co : ybn);
  const WinogradStages &stages = *layer.conv().winograd;
  Func product = stages.product, input = stages.input;
  // The band's products for one block are stored (staged: P² × 64 × tiles floats); each register
  // tile is summed in a small stage of its own that LLVM keeps in registers, then copied there.
  Func staged = product.in();
  Var e = staged.args()[0], f = staged.args()[1], k = staged.args()[2], tx = staged.args()[3];
  Var ty = staged.args()[4], txo("txo"), txi("txi");
  staged.compute_at(stored, co)
      .bound(e, 0, choice.points)
      .bound(f, 0, choice.points)
      .bound(tx, 0, choice.rounded_tiles)
      .reorder_storage(k, tx, ty, e, f)
      .split(tx, txo, txi, choice.group)
      .reorder(k, txi, txo, ty, e, f)
      .vectorize(k, choice.vector)
      .unroll(k)
      .unroll(txi);
  Var pk = product.args()[2], ptx = product.args()[3];
  product.compute_at(staged, txo).reorder_storage(pk, ptx).vectorize(pk, choice.vector).unroll(pk).unroll(ptx);
  // Each input channel's step: `vectors` weight vectors × `group` broadcast V values into the sums.
  // Whichever operand the inner unrolled loop runs over stays in registers for the whole step (the
  // weights with the vectors inner, the V values with the tiles inner), so the inner loop runs over
  // the smaller of the two: on AVX2, 4 vectors × 3 tiles with the vectors inner need 12 sums, 4
  // weights and a broadcast, 17 of the 16 registers, and one sum would go through the stack on
  // every step; with the tiles inner, 12 + 3 + 1. AVX-512's 4 × 7 keeps the vectors inner
  // (28 + 4 + 1 = 33 of 32: one sum spilled, but over 28 multiply-adds).
  Var pko("pko"), pkv("pkv");
  RVar pr = rvars(product, 0)[0];
  product.update().split(pk, pko, pkv, choice.vector).vectorize(pkv).unroll(pko).unroll(ptx);
  if (choice.group < choice.vectors) {
    product.update().reorder(pkv, ptx, pko, pr);
  } else {
    product.update().reorder(pkv, pko, ptx, pr);
  }
  // Each output tile: per vector of channels, Aᵀ M along x (`columns`), then along y as stored.
  Func columns = stages.columns;
  Var wx = columns.args()[0], wf = columns.args()[1], wc = columns.args()[2], wty = columns.args()[3];
  columns.compute_at(stored, cl)
      .bound(wf, 0, choice.points)
      .bound_extent(wty, 1)  // one tile row (the guard on the last band hides that from Halide)
      .reorder_storage(wc, wx, wf)
      .reorder(wc, wx, wf)
      .vectorize(wc, choice.vector)
      .unroll(wx)
      .unroll(wf);
  // The band's input transform: per tile and vector of input channels, the tile's rows along x
  // (`rows`, P² vectors), then V, all (e, f) from the same loaded tile.
  Var ve = input.args()[0], vf = input.args()[1], vc = input.args()[2], vtx = input.args()[3],
      vty = input.args()[4], vco("vco"), vci("vci");
  input.compute_at(stored, ybn)
      .bound(ve, 0, choice.points)
      .bound(vf, 0, choice.points)
      .reorder_storage(vc, vtx, vty, ve, vf)
      .split(vc, vco, vci, choice.vector, TailStrategy::GuardWithIf)
      .reorder(vci, ve, vf, vco, vtx, vty)
      .vectorize(vci)
      .unroll(ve)
      .unroll(vf);
  Func rows = stages.rows;
  Var re = rows.args()[0], rj = rows.args()[1], rc = rows.args()[2];
  rows.compute_at(input, vco)
      .bound(re, 0, choice.points)
      .bound(rj, 0, choice.points)
      .reorder_storage(rc, re, rj)
      .reorder(rc, re, rj)
      .vectorize(rc, choice.vector, TailStrategy::GuardWithIf)
      .unroll(re)
      .unroll(rj);
  if (choice.channel_threads) input.parallel(vty);
}

}  // namespace cnngen
