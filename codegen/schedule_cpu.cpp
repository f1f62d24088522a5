// CPU schedule; see schedule_cpu.hpp.
//
// Image tensors between layers are stored channels-innermost (reorder_storage(c, x, y, n)), the
// layout in which a convolution vectorizes across output channels: each step multiplies one
// input value, broadcast, by a vector of weights (packed with the output channel innermost) and
// accumulates into a register tile of output channels × columns, as Halide's apps/conv_layer does.
// A convolution or linear layer fuses the element-wise chain the plan gives it (plan.hpp: batch
// norm, activations, a residual add): the layer is computed tile by tile inside the loops of the
// chain's last stage and never stored whole. A convolution chain that only a concatenation reads
// is computed tile by tile inside the concatenation's update for that input, straight into the
// input's channel slice (Slice).
#include "codegen/schedule_cpu.hpp"

#include <map>
#include <type_traits>

#include "codegen/plan.hpp"
#include "codegen/schedule_batched.hpp"
#include "codegen/schedule_common.hpp"
#include "codegen/schedule_report.hpp"
#include "codegen/winograd.hpp"

namespace cnngen {
namespace {

using Halide::Func;
using Halide::RVar;
using Halide::TailStrategy;
using Halide::Var;
using Halide::VarOrRVar;

struct Context {
  int vector = 8;  // floats per vector register
  // A network too small to share one image among threads (LeNet: 0.4 M multiply-adds): starting
  // threads for every layer would cost more than the layer, so only images run in parallel.
  bool per_image_threads = false;
};

/// The fallback: parallel over images (and channels), vectorized along the innermost dimension
/// when it is at least one vector wide, for the pure definition and every update.
void schedule_generic(Func func, int innermost_extent, const Context &context) {
  std::vector<Var> args = func.args();
  Var inner = args.front();
  bool vectorize = innermost_extent >= context.vector;
  func.compute_root();
  auto place = [&](auto &&stage, std::vector<VarOrRVar> order) {
    stage.reorder(order);
    if (args.size() == 4) {
      Var fused(func.name() + "_cn");
      stage.fuse(args[2], args[3], fused);
      context.per_image_threads ? stage.parallel(fused, 16, TailStrategy::GuardWithIf) : stage.parallel(fused);
    } else {
      stage.parallel(args.back());
    }
    if (vectorize) stage.vectorize(inner, context.vector, TailStrategy::GuardWithIf);
  };
  place(func, std::vector<VarOrRVar>(args.begin(), args.end()));
  for (int i = 0; i < func.num_update_definitions(); ++i) {
    // Keep the vectorized dimension innermost, then the reduction, then the other dimensions.
    std::vector<VarOrRVar> order{inner};
    for (const RVar &r : rvars(func, i)) order.emplace_back(r);
    for (std::size_t a = 1; a < args.size(); ++a) order.emplace_back(args[a]);
    place(func.update(i), order);
  }
}

/// Whether the network's output (`shape`, PyTorch's C×H×W) is read from a tensor stored
/// channels-innermost (every C×H×W tensor whose channels fill whole vectors: schedule_root and the
/// convolutions' tiles) with rows of at least 4 columns: its copy into the planar output is then
/// a transposition, block by block.
bool transposes_output(const Shape &shape, const Context &context) {
  return shape.size() == 3 && shape[0] % context.vector == 0 && shape[2] >= 4;
}

/// The output copied from `values` (stored channels-innermost) as blocks of one vector of channels ×
/// one vector of columns (the whole row where `width` is narrower): vector loads along the
/// channels into a block on the stack, vector stores along the rows out of it (Halide's
/// block-transpose idiom). Reading each channel as a gather along the row instead passed over the
/// whole tensor once per channel: 2.1 ms for VGG-11's first layer's 64×224×224 output, 0.77 ms so;
/// ResNet-18's layer4 output (512×7×7) as a network's output took 0.462 ms with its last layer
/// (bench/layer_nets/resnet18_layer4_0_conv1_output.net, alternated), 0.394 ms in blocks of 7.
void schedule_transposed_output(Func output, Func values, int width, const Context &context) {
  Var x = output.args()[0], y = output.args()[1], c = output.args()[2], n = output.args()[3];
  Var xo("xo"), xi("xi"), co("co"), ci("ci");
  output.compute_root()
      .tile(x, c, xo, co, xi, ci, std::min(width, context.vector), context.vector)
      .reorder(xi, ci, xo, co, y, n)
      .vectorize(xi)
      .unroll(ci);
  context.per_image_threads ? output.parallel(n) : output.fuse(y, n, Var("yn")).parallel(Var("yn"));
  std::vector<Var> args = values.args();
  values.compute_at(output, xo).vectorize(args[2]).unroll(args[0]);
}

/// A C×H×W tensor stored channels-innermost, computed row by row in parallel, vectorized across
/// channels. For pooling, element-wise layers and padded copies.
void schedule_channels_innermost(Func func, int channels, const Context &context, bool root = true) {
  Var x = func.args()[0], y = func.args()[1], c = func.args()[2], n = func.args()[3];
  if (root) func.compute_root();
  func.reorder_storage(c, x, y, n);
  int width = channels % context.vector == 0 ? context.vector : channels >= 4 ? 4 : 1;
  auto place = [&](auto &&stage, std::vector<VarOrRVar> order) {
    stage.reorder(order);
    if (width > 1) stage.vectorize(c, width, TailStrategy::GuardWithIf);
    if (root && context.per_image_threads) stage.parallel(n);
    else if (root) stage.fuse(y, n, Var(func.name() + "_yn")).parallel(Var(func.name() + "_yn"));
  };
  place(func, {c, x, y, n});
  for (int i = 0; i < func.num_update_definitions(); ++i) {
    std::vector<VarOrRVar> order{c};
    for (const RVar &r : rvars(func, i)) order.emplace_back(r);
    for (Var v : {x, y, n}) order.emplace_back(v);
    place(func.update(i), order);
  }
}

/// Columns per register tile for rows `width` wide, at most `most`: fewer where the last tile,
/// shifted inwards, would recompute more than a tenth of the row. ResNet's 7-wide layers take 2
/// columns of AVX-512's 3 (8 computed, not 9) and 4 of AVX2's 6 (8, not 12: its stride-2 layer
/// at 7×7 took 1.66 ms so, 0.87 ms with 4), 14-wide ones 5 of AVX2's 6 (15, not 18).
int columns_for_width(int width, int most) {
  auto computed = [width](int columns) { return ceil_div(width, columns) * columns; };
  int best = most;
  for (int columns = most - 1; columns > most / 2; --columns) {
    if (computed(columns) < computed(best)) best = columns;
  }
  return 10 * computed(best) < 9 * computed(most) ? best : most;
}

/// Whether a convolution's tiles loop over the rows inside each block of `channel_tile` output
/// channels rather than over the blocks inside each row tile of `row_tile` rows. Blocks inside rows
/// read all the weights once per row tile, rows inside blocks the image's input once per block.
/// Taken where the weights outgrow half of a 1 MB L2 (they cannot stay there from one row tile to
/// the next) and it reads less, as in ResNet-18's stride-2 layers (layer4.0.conv1: 4.7 MB of
/// weights read by 4 row tiles, against 8 blocks each reading 200 KB of input).
bool weight_blocks_outer(const Conv2d &op, const Shape &in_shape, const Shape &shape, int channel_tile,
                         int row_tile) {
  const std::int64_t weights = conv_weight_bytes(op, in_shape[0], shape[0]);
  const std::int64_t input = 4 * element_count(in_shape);
  const std::int64_t row_tiles = ceil_div<std::int64_t>(shape[1], row_tile), blocks = shape[0] / channel_tile;
  return weights > kHalfL2 && blocks * input < row_tiles * weights;
}

/// Whether the padded input rows that one band of `rows` output rows reads fit in half of a 1 MB
/// L2, where they stay from their copy to their last read. Copied band by band so (the halo rows,
/// kernel − stride of them, twice), ResNet-18's first layer (7×7/2: 9 rows of 230 × 3 channels,
/// 25 KB per band) and its layer2.0.conv1 (3×3/2: 5 rows of 58 × 64, 74 KB) took 0.955 / 0.970 and
/// 0.96 / 0.915 of the time at batch 1 / 8 (alone, alternated), instead of a pass over the whole
/// padded input (6.9 MB at batch 8 for layer2.0.conv1) before the convolution (docs/performance.md).
bool padded_rows_in_l2(const Conv2d &op, const Shape &in_shape, int rows) {
  return band_input_bytes(op, in_shape, rows) <= kHalfL2;
}

/// Rows of partial sums of `channel_tile` channels × `width` columns that fit in half of a 32 KB
/// L1 (the other half holds a slice's weights): the bound of the rows a convolution summed in
/// slices of input channels keeps between slices.
int sum_rows_in_half_l1(int channel_tile, int width) { return kHalfL1 / (channel_tile * width * 4); }

/// Input channels per step of a convolution's reduction when it sums a whole row of register
/// tiles one slice of input channels at a time, the partial sums kept in L1 between slices; 0 when
/// it sums each register tile over all input channels at once. A slice's weights (at most 16 KB,
/// half of a 32 KB L1) then serve every tile of the row from L1 instead of coming from L2 for each
/// tile. Only where a block's weights outgrow L1, a row holds more than one tile, and the row's
/// sums (`channel_tile` × `width` × `rows` floats) fit in the other half of L1: VGG-11's rows of
/// 56 and 112 columns (28 and 57 KB of sums) ran 3% slower so, its rows of 28 and 14 faster.
int input_channel_chunk(const Conv2d &op, int input_channels, int channel_tile, int width, int column_tile,
                        int rows) {
  const int weight_bytes = static_cast<int>(op.kernel.h * op.kernel.w) * channel_tile * 4;  // per input channel
  const int inputs = input_channels / static_cast<int>(op.groups);
  if (op.groups != 1 || inputs <= 4 || width <= column_tile ||
      conv_weight_bytes(op, input_channels, channel_tile) <= kL1 || rows > sum_rows_in_half_l1(channel_tile, width)) {
    return 0;
  }
  return divisor_at_most(inputs, std::max(1, kHalfL1 / weight_bytes));
}

/// The rows of partial sums that a convolution summed in slices of `chunk` input channels
/// (input_channel_chunk) keeps in L1 per block of `channel_tile` output channels: the most rows
/// whose sums fit in 16 KB among the multiples of the register tile's `row_tile` (a divisor of
/// the height) that divide the height.
/// Each slice's weights then come from L2 once per block of rows, not once per row: ResNet-18's
/// layer4.0.conv1 sums its whole 7×7 image (12.5 KB), 0.291 → 0.265 ms with AVX-512, 0.871 →
/// 0.729 ms with AVX2 (alternated). Only where a slice's input of one pixel is at most one cache
/// line (16 channels): layer4.0.downsample, a 1×1 convolution whose slices are 64 channels wide,
/// took 0.165 → 0.199 ms with its whole image (with a 1×1 convolution after it), presumably as its
/// 49 pixels' slices, 2 KB apart, fall into 8 of L1's 64 sets and evict the weights.
int sliced_block_rows(int chunk, int channel_tile, int height, int width, int row_tile) {
  if (chunk > 16) return row_tile;
  return row_tile * divisor_at_most(height / row_tile, sum_rows_in_half_l1(channel_tile, width) / row_tile);
}

/// A convolution's register tile: output channels (whole vectors) × columns × rows.
struct ConvTile {
  int channels, columns, rows;
};

/// The register tile of a convolution with `channels` outputs (a multiple of the vector) over
/// height × width pixels. Tiles at the right and bottom edges are shifted inwards (recomputing a
/// few pixels; a convolution summed in slices of input channels keeps a ragged last column tile
/// instead: input_channel_chunk); with `exact` (a tile written into a concatenation's slice, an
/// update stage where no tile may be shifted) the columns and rows divide the width and height.
ConvTile conv_tile(int channels, int height, int width, const Context &context, bool exact) {
  // With AVX-512, 24 of the 32 vector registers hold sums: 4 vectors of channels × 3 columns ×
  // 2 rows where the channels allow (each weight vector loaded serves 6 pixels, each input value
  // 4 vectors), else 2 vectors × 6 columns, else 1 × 12. AVX2 has 16 registers: 12 sums in one
  // row, at most 2 vectors × 6 columns, so that the 2 weight vectors and the broadcast input fit
  // beside them (15 registers). 4 vectors × 3 columns needed 17: a spill and sums moved between
  // registers in every tap, 29–31% of the AVX2 peak on VGG-11's and AlexNet's layers against
  // 47–77% with 2 × 6 (docs/performance.md). Narrow rows take fewer columns (columns_for_width).
  int vectors = channel_vectors(channels, context.vector);
  if (context.vector < 16) vectors = std::min(vectors, 2);
  const int most_columns = vectors == 4 ? 3 : vectors == 2 ? 6 : 12;
  const int columns = exact ? most_columns : columns_for_width(width, most_columns);
  const int rows = vectors == 4 && context.vector >= 16 ? 2 : 1;
  if (exact) return {vectors * context.vector, divisor_at_most(width, columns), divisor_at_most(height, rows)};
  return {vectors * context.vector, std::min(width, columns), std::min(height, rows)};
}

/// A concatenation's update that stores one input's channels: the input's head is computed tile by
/// tile inside it (plan.hpp), its chain inlined, and no copy of the input is stored.
struct Slice {
  Func concat;
  int update;  // the update definition (stage update + 1) that writes the input's channels
};

/// A convolution whose output channels fill whole vectors: `stored` (the fused activation, or a
/// wrapper of the convolution) is tiled into vectors of channels × a few columns, and the
/// convolution is computed per tile in registers. With `slice`, the tiles are those of the
/// concatenation's update instead, which writes them straight into the slice (and `stored`, the
/// chain's tail, is inlined into it).
LayerSchedule schedule_conv_vectorized(const LoweredLayer &layer, Func stored, const Shape &shape,
                                       const Shape &in_shape, const Context &context, const LoweredLayer *pool,
                                       const Slice *slice) {
  const int input_channels = static_cast<int>(in_shape[0]);
  const int channels = static_cast<int>(shape[0]), height = static_cast<int>(shape[1]),
            width = static_cast<int>(shape[2]);
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
  const ConvTile tile = conv_tile(channels, height, width, context, slice != nullptr);
  const int channel_tile = tile.channels;
  int column_tile = tile.columns, row_tile = tile.rows;
  if (pool) {
    // Computed row by row inside the pooling that alone reads it: the full-size output of the
    // convolution is never written to memory, only the rows one pooled row needs. Tiles shifted
    // inwards must fit those: kernel-height rows, and the columns the pooled row covers.
    const Pool2d &op = std::get<Pool2d>(pool->node->op);
    const std::int64_t pooled_width = (width - op.kernel.w) / op.stride.w + 1;
    column_tile = static_cast<int>(std::min<std::int64_t>(column_tile, pooled_width * op.kernel.w));
    if (op.kernel.h % row_tile != 0) row_tile = 1;
    stored.compute_at(pool->func, Var(pool->func.name() + "_yn"));
  } else if (!slice) {
    stored.compute_root();
    bound_to_shape(stored, shape);
  }
  if (!slice) stored.reorder_storage(stored.args()[2], x, y, n);  // a concatenation stores itself
  const Conv2d &op = std::get<Conv2d>(layer.node->op);
  const int chunk = slice ? 0 : input_channel_chunk(op, input_channels, channel_tile, width, column_tile, row_tile);
  if (chunk && !pool && height % row_tile != 0) {
    // Rows of tiles shifted inwards would recompute a row (7 rows as 4 tiles of 2: 8); with the
    // sums in L1 the tile needs no second row to reuse its weights, so one row of as many columns
    // as the two had, spread evenly over the row (the last tile ragged): ResNet-18's
    // layer4.0.conv1, 4 + 3 columns of 1 row for 2 + 2 + 2 + 1 columns of 2 rows, 0.308 → 0.291 ms
    // (alternated, with its padded copy).
    column_tile = ceil_div(width, ceil_div(width, column_tile * row_tile));
    row_tile = 1;
  }
  const int block_rows = chunk && !pool ? sliced_block_rows(chunk, channel_tile, height, width, row_tile) : row_tile;
  // Blocks of output channels outside the row tiles where there are few row tiles (whole images:
  // one), so that the blocks share the threads.
  const bool blocks_outer = !pool && !slice && (block_rows > row_tile ||
                                                weight_blocks_outer(op, in_shape, shape, channel_tile, block_rows));
  stage.split(c, co, ci, channel_tile)
      .split(x, xo, xi, column_tile)
      .split(y, yo, yi, block_rows)
      .reorder(ci, xi, yi, xo, blocks_outer ? yo : co, blocks_outer ? co : yo, n)
      .vectorize(ci, context.vector)
      .unroll(ci)
      .unroll(xi)
      .unroll(yi);
  if (blocks_outer) {
    // Row tiles of one block of output channels, then of the next: the block's weights stay in L2
    // (where they fit) from one row tile to the next. The blocks × row tiles share the threads.
    stage.fuse(yo, co, Var("yc")).fuse(Var("yc"), n, Var("yn"));
  } else {
    stage.fuse(yo, n, Var("yn"));
  }
  if (pool) {
    // The pooling's rows run in parallel.
  } else if (context.per_image_threads) {
    stage.parallel(Var("yn"), height, TailStrategy::GuardWithIf);
  } else {
    stage.parallel(Var("yn"));
  }
  std::vector<RVar> r = rvars(conv, 0);  // kx, ky, ci
  Var cx = conv.args()[0], cy = conv.args()[1], cc = conv.args()[2], cn = conv.args()[3];
  // The tile's accumulators are stored channel-innermost too: each vector is one register, with
  // no shuffles between the tile and the registers (8-10x faster than the default x-innermost).
  if (chunk) {
    // The sums of whole rows of tiles (one block of channels × the width × block_rows rows), per
    // slice of input channels: for each tile, its sums loaded into registers, the slice's taps,
    // the sums stored back to L1. The last tile of a row is ragged (guarded), not shifted: an
    // update may not recompute a sum.
    RVar cio("cio"), cii("cii");
    Var cxo("cxo"), cxi("cxi"), cyo("cyo"), cyi("cyi");
    conv.compute_at(owner, blocks_outer ? Var("yn") : co.var);
    conv.update()
        .split(r[2], cio, cii, chunk)
        .split(cx, cxo, cxi, column_tile, TailStrategy::GuardWithIf)
        .split(cy, cyo, cyi, row_tile, TailStrategy::GuardWithIf)
        .reorder(cc, cxi, cyi, r[0], r[1], cii, cxo, cyo, cio, cn)
        .unroll(cxi)
        .unroll(cyi);
  } else {
    conv.compute_at(owner, xo).unroll(cx).unroll(cy);
    conv.update().reorder(cc, cx, cy, r[0], r[1], r[2], cn).unroll(cx).unroll(cy);
  }
  conv.reorder_storage(cc, cx, cy, cn).vectorize(cc, context.vector).unroll(cc);
  conv.update().vectorize(cc, context.vector).unroll(cc);
  // With few input channels (a first layer on grey or RGB images) the loop over the kernel taps
  // is the inner work: unroll it, but a row of taps only up to 3 wide. Wider rows unrolled let
  // LLVM keep each input value broadcast for every tap that reads it (neighbouring columns share
  // inputs), which with the tile's 24 sums spilled to the stack: ResNet-18's 7×7/2 first layer
  // ran at 58% of peak so, about 100% with its rows of taps as a loop (docs/performance.md).
  // Not for depthwise convolutions: their tile is already a full register tile per tap, and
  // unrolled taps only multiplied the code (MobileNetV2's first 8 blocks: 42 s to compile, 19 s
  // without, and no measurable difference in run time).
  if (input_channels / op.groups <= 4 && op.groups == 1) {
    if (op.kernel.w <= 3) conv.update().unroll(r[0]);
    if (op.kernel.w * op.kernel.h <= 25) conv.update().unroll(r[1]);
  }
  if (!layer.weights_embedded) {
    // Weights passed at run time arrive in PyTorch's layout: repacked once per call with the
    // output channel innermost.
    Func weight = layer.weights.weight;
    Var kx = weight.args()[0], ky = weight.args()[1], wi = weight.args()[2], wo = weight.args()[3];
    weight.compute_root().reorder_storage(wo, kx, ky, wi).vectorize(wo, context.vector).parallel(wi);
  }
  // Where each task is one band of rows of one image (a whole image in a small network; all
  // blocks of output channels), its padded rows are copied inside the task, just before they
  // are read, rather than the whole padded input by a pass of its own (padded_rows_in_l2).
  const int task_rows = context.per_image_threads ? height : block_rows;
  const bool per_task = !pool && !slice && !blocks_outer && padded_rows_in_l2(op, in_shape, task_rows);
  if (layer.padded) {
    Func padded = *layer.padded;
    schedule_channels_innermost(padded, input_channels, context, !per_task);
    if (per_task) padded.compute_at(owner, Var("yn"));
    bound_padded(padded, in_shape, op, !per_task);
  }
  using Padded = DirectChoice::Padded;
  const Padded padded = !layer.padded ? Padded::none : per_task ? Padded::per_task : Padded::whole;
  return report_direct({op, in_shape, shape, context.vector, channel_tile, column_tile, row_tile, chunk, block_rows,
                        blocks_outer, pool != nullptr, slice != nullptr, context.per_image_threads, padded});
}

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
LayerSchedule schedule_conv_winograd(const LoweredLayer &layer, Func stored, const Shape &shape,
                                     const Shape &in_shape, const Context &context) {
  const int channels = static_cast<int>(shape[0]), height = static_cast<int>(shape[1]),
            width = static_cast<int>(shape[2]);
  const int vectors = channel_vectors(channels, context.vector);
  const int channel_tile = vectors * context.vector;
  const int tile = layer.weights.winograd->tile, points = layer.weights.winograd->points();
  const int tiles_x = winograd_tiles(width, tile), tiles_y = winograd_tiles(height, tile);
  const int group = winograd_group(tiles_x, vectors, context.vector);  // tiles per register tile
  const int rounded_tiles = ceil_div(tiles_x, group) * group;
  const int band = std::min(tiles_y, ceil_div(28, tiles_x));  // tile rows per band
  // Threads share the blocks of output channels where there are as many as bands or 4, else the
  // bands (F(4×4) at 28×28 has two bands of 4 and 3 tile rows: uneven for 2 threads).
  const int blocks = ceil_div(channels, channel_tile), bands = ceil_div(tiles_y, band);
  const bool channel_threads = blocks >= 4 || blocks >= bands;
  Var x = stored.args()[0], y = stored.args()[1], c = stored.args()[2], n = stored.args()[3];
  Var co("co"), ci("ci"), cv("cv"), cl("cl"), xo("xo"), xi("xi"), yb("yb"), yr("yr"), yo("yo"), yi("yi"),
      ybn("ybn");
  stored.compute_root();
  bound_to_shape(stored, shape);
  stored.reorder_storage(c, x, y, n)
      .split(c, co, ci, channel_tile)
      .split(ci, cl, cv, context.vector)
      .split(x, xo, xi, tile, TailStrategy::GuardWithIf)
      .split(y, yb, yr, tile * band, TailStrategy::GuardWithIf)
      .split(yr, yo, yi, tile)
      .reorder(cv, xi, yi, cl, xo, yo, co, yb, n)
      .vectorize(cv)
      .unroll(xi)
      .unroll(yi)
      .fuse(yb, n, ybn);
  stored.parallel(channel_threads ? co : ybn);
  Func product = layer.winograd->product, input = layer.winograd->input;
  // The band's products for one block are stored (staged: P² × 64 × tiles floats); each register
  // tile is summed in a small stage of its own that LLVM keeps in registers, then copied there.
  Func staged = product.in();
  Var e = staged.args()[0], f = staged.args()[1], k = staged.args()[2], tx = staged.args()[3];
  Var ty = staged.args()[4], txo("txo"), txi("txi");
  staged.compute_at(stored, co)
      .bound(e, 0, points)
      .bound(f, 0, points)
      .bound(tx, 0, rounded_tiles)
      .reorder_storage(k, tx, ty, e, f)
      .split(tx, txo, txi, group)
      .reorder(k, txi, txo, ty, e, f)
      .vectorize(k, context.vector)
      .unroll(k)
      .unroll(txi);
  Var pk = product.args()[2], ptx = product.args()[3];
  product.compute_at(staged, txo).reorder_storage(pk, ptx).vectorize(pk, context.vector).unroll(pk).unroll(ptx);
  // Each input channel's step: `vectors` weight vectors × `group` broadcast V values into the sums.
  // Whichever operand the inner unrolled loop runs over stays in registers for the whole step (the
  // weights with the vectors inner, the V values with the tiles inner), so the inner loop runs over
  // the smaller of the two: on AVX2, 4 vectors × 3 tiles with the vectors inner need 12 sums,
  // 4 weights and a broadcast, 17 of the 16 registers, and one sum went through the stack on every
  // step (AlexNet's conv2 alone 3.09 → 2.06 ms with the tiles inner: 12 + 3 + 1). AVX-512's 4 × 7
  // keeps the vectors inner (28 + 4 + 1 = 33 of 32: one sum spilled, but over 28 multiply-adds).
  Var pko("pko"), pkv("pkv");
  RVar pr = rvars(product, 0)[0];
  product.update().split(pk, pko, pkv, context.vector).vectorize(pkv).unroll(pko).unroll(ptx);
  if (group < vectors) {
    product.update().reorder(pkv, ptx, pko, pr);
  } else {
    product.update().reorder(pkv, pko, ptx, pr);
  }
  // Each output tile: per vector of channels, Aᵀ M along x (`columns`), then along y as stored.
  Func columns = layer.winograd->columns;
  Var wx = columns.args()[0], wf = columns.args()[1], wc = columns.args()[2], wty = columns.args()[3];
  columns.compute_at(stored, cl)
      .bound(wf, 0, points)
      .bound_extent(wty, 1)  // one tile row (the guard on the last band hides that from Halide)
      .reorder_storage(wc, wx, wf)
      .reorder(wc, wx, wf)
      .vectorize(wc, context.vector)
      .unroll(wx)
      .unroll(wf);
  // The band's input transform: per tile and vector of input channels, the tile's rows along x
  // (`rows`, points² vectors), then V, all (e, f) from the same loaded tile.
  Var ve = input.args()[0], vf = input.args()[1], vc = input.args()[2], vtx = input.args()[3],
      vty = input.args()[4], vco("vco"), vci("vci");
  input.compute_at(stored, ybn)
      .bound(ve, 0, points)
      .bound(vf, 0, points)
      .reorder_storage(vc, vtx, vty, ve, vf)
      .split(vc, vco, vci, context.vector, TailStrategy::GuardWithIf)
      .reorder(vci, ve, vf, vco, vtx, vty)
      .vectorize(vci)
      .unroll(ve)
      .unroll(vf);
  Func rows = layer.winograd->rows;
  Var re = rows.args()[0], rj = rows.args()[1], rc = rows.args()[2];
  rows.compute_at(input, vco)
      .bound(re, 0, points)
      .bound(rj, 0, points)
      .reorder_storage(rc, re, rj)
      .reorder(rc, re, rj)
      .vectorize(rc, context.vector, TailStrategy::GuardWithIf)
      .unroll(re)
      .unroll(rj);
  if (channel_threads) input.parallel(vty);

  return report_winograd({in_shape, shape, tile, points, vectors, context.vector, group, tiles_x, tiles_y,
                          rounded_tiles, band, blocks, bands, channel_threads});
}

/// A linear layer (and its fused activation): tiles of output features, each computed for the
/// whole batch with the features vectorized, so that every weight is read from memory once per
/// call whatever the batch size. Weights are packed output-innermost.
LayerSchedule schedule_linear(const LoweredLayer &layer, Func stored, int features, std::int64_t inputs,
                              const Context &context) {
  Func linear = layer.func;
  Var f = linear.args()[0], n = linear.args()[1];
  Var fo("fo"), fi("fi");
  int width = features >= context.vector ? context.vector : 1;
  int tile = features >= 4 * width ? 4 * width : width;
  // The last tile is shifted back to end at the last feature (it recomputes a few). Not
  // GuardWithIf: with a constant feature count Halide 14 dropped the guard of the vectorized tail
  // (120 features, tiles of 32: the last wrote 8 floats into the next image's row, a race between
  // threads and a heap overflow; found on AVX2 at batch 2-15).
  bound_to_shape(stored, {features});
  stored.compute_root()
      .split(stored.args()[0], fo, fi, tile, TailStrategy::ShiftInwards)
      .reorder(fi, stored.args()[1], fo);
  Var tiles = fo;
  if (context.per_image_threads) {
    // Small layers and batches (larger ones take the batched copy): whole images per thread;
    // waking a second thread for half of a 0.05 M multiply-add layer costs more than it saves
    // (LeNet at batch 1: 13.3 µs with tiles of every image spread over the threads, 10.4 µs so).
    tiles = stored.args()[1];
    stored.reorder(fi, fo, stored.args()[1]);
  }
  stored.parallel(tiles);
  if (width > 1) stored.vectorize(fi, width);
  linear.compute_at(stored, tiles);
  RVar r = rvars(linear, 0)[0];
  linear.update().reorder(f, n, r);
  if (width > 1) {
    linear.vectorize(f, width, TailStrategy::GuardWithIf);
    linear.update().vectorize(f, width, TailStrategy::GuardWithIf).unroll(f);
  }
  if (!layer.weights_embedded) {
    Func weight = layer.weights.weight;  // (in, out) in PyTorch's layout: repack out-innermost
    Var wi = weight.args()[0], wo = weight.args()[1];
    weight.compute_root().reorder_storage(wo, wi).vectorize(wo, width).parallel(wi);
  }
  return report_linear(tile, features, inputs, context.per_image_threads);
}

/// A convolution with too few output channels to fill a vector (LeNet's first: 6), and its fused
/// activation `stored`: vectorized across columns, computed per channel and image inside the
/// activation's loop, four rows at a time so that four accumulators per column vector stay in
/// registers, with the taps of small kernels unrolled.
void schedule_conv_columns(LoweredLayer &layer, Func stored, const Shape &shape,
                           const Context &context) {
  schedule_generic(stored, static_cast<int>(shape[2]), context);
  Func conv = layer.func;
  Var x = conv.args()[0], y = conv.args()[1];
  std::vector<RVar> r = rvars(conv, 0);
  conv.compute_at(stored, Var(stored.name() + "_cn"));
  Var yo("yo"), yi("yi"), xo("xo"), xi("xi");
  const Conv2d &op = std::get<Conv2d>(layer.node->op);
  const bool vectorized = shape[2] >= context.vector;
  // Rows rounded up to whole vectors when the input is padded, and so defined everywhere: the few
  // extra columns cost less than a scalar tail (LeNet at batch 1: 29 → 13 µs). Otherwise the extra
  // columns would read past the input.
  const TailStrategy tail = layer.padded ? TailStrategy::RoundUp : TailStrategy::GuardWithIf;
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
  if (layer.padded) schedule_generic(*layer.padded, static_cast<int>(shape[2]), context);
  if (!layer.weights_embedded) layer.weights.weight.compute_root();
}

/// A concatenation lowered as one update per input (lower_concat with slices), stored whole with
/// the channels innermost: the updates in `written` are its inputs' heads' tiles (Slice); every
/// other update copies its input into its slice, row by row in parallel, vectorized across the
/// slice's channels.
void schedule_concat(Func concat, const Shape &shape, const Context &context, const std::vector<bool> &written) {
  std::vector<Var> args = concat.args();
  concat.compute_root();
  bound_to_shape(concat, shape);
  if (shape.size() == 3) concat.reorder_storage(args[2], args[0], args[1], args[3]);
  for (int j = 0; j < concat.num_update_definitions(); ++j) {
    if (written[static_cast<std::size_t>(j)]) continue;
    Halide::Stage copy = concat.update(j);
    RVar r = rvars(concat, j)[0];
    if (shape.size() == 3) {
      copy.reorder(r, args[0], args[1], args[3]);
      Var rows(concat.name() + "_yn" + std::to_string(j));
      if (context.per_image_threads) copy.parallel(args[3]);
      else copy.fuse(args[1], args[3], rows).parallel(rows);
    } else {
      copy.reorder(r, args.back()).parallel(args.back());
    }
    copy.vectorize(r, context.vector, TailStrategy::GuardWithIf);
  }
}

/// The stage of a root layer (see plan.hpp): stored whole with the channels innermost where they
/// fill vectors, else the generic schedule. `written`: for a concatenation, which of its updates
/// a head writes (Slice).
void schedule_root(LoweredLayer &layer, const Shape &shape, const Context &context,
                   const std::vector<bool> &written) {
  auto store = [&](const auto &op) {
    // A softmax's internals are computed per channel row of the generic schedule's loops.
    if constexpr (std::is_same_v<std::decay_t<decltype(op)>, Softmax>) {
      schedule_generic(layer.func, static_cast<int>(shape.back()), context);
      return;
    }
    if constexpr (std::is_same_v<std::decay_t<decltype(op)>, Concat>) {
      if (layer.func.num_update_definitions() > 0) {
        schedule_concat(layer.func, shape, context, written);
        return;
      }
    }
    // Constant bounds: the region of a stage then never depends on its readers' symbolic ones, which
    // otherwise nest through every stage of a deep network (MobileNetV2 compiled in 16 minutes).
    bound_to_shape(layer.func, shape);
    if (shape.size() == 3 && shape[0] % context.vector == 0) {
      schedule_channels_innermost(layer.func, static_cast<int>(shape[0]), context);
    } else {
      schedule_generic(layer.func, static_cast<int>(shape.back()), context);
    }
  };
  visit_operation(layer.node->op, RootStage{"CPU", *layer.node, store});
}

/// Whether a head (a convolution or linear layer with output `shape`) takes
/// schedule_conv_vectorized: a direct convolution whose output channels fill whole vectors.
bool computes_vectorized(const LoweredLayer &head, const Shape &shape, const Context &context) {
  return std::holds_alternative<Conv2d>(head.node->op) && !head.winograd && shape[0] % context.vector == 0;
}

/// The heads (by index) whose tiles the CPU schedule writes straight into a concatenation's slice:
/// those the plan offers (NodePlan::concat) that schedule_conv_vectorized computes and whose tiles
/// that divide the image (an update's tiles cannot be shifted inwards) are at least half as large
/// as the shifted ones.
std::map<std::size_t, Slice> choose_slices(const Network &network, const std::vector<LoweredLayer> &layers,
                                           const SchedulePlan &plan, const Context &context) {
  std::map<std::size_t, Slice> slices;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const NodePlan &entry = plan[i];
    if (entry.role != NodePlan::Role::head || entry.concat < 0) continue;
    const LoweredLayer &concat = layers[static_cast<std::size_t>(entry.concat)];
    const Shape &shape = network.tensors[static_cast<std::size_t>(layers[i].node->output)].shape;
    if (concat.func.num_update_definitions() == 0 || !computes_vectorized(layers[i], shape, context)) continue;
    const int channels = static_cast<int>(shape[0]), height = static_cast<int>(shape[1]),
              width = static_cast<int>(shape[2]);
    const ConvTile exact = conv_tile(channels, height, width, context, true);
    const ConvTile shifted = conv_tile(channels, height, width, context, false);
    if (2 * exact.columns * exact.rows < shifted.columns * shifted.rows) continue;
    slices[i] = Slice{concat.func, entry.concat_input};
  }
  return slices;
}

}  // namespace

void schedule_cpu(LoweredNetwork &lowered, const Network &network, const Halide::Target &target,
                  const Network *whole, ScheduleReport *report) {
  Context context;
  context.vector = target.natural_vector_size(Halide::Float(32));
  context.per_image_threads = is_small_network(whole ? *whole : network);
  if (report) {
    report->target = target.to_string();
    report->vector = context.vector;
    report->batch_vector = lowered.batch_vector;
  }
  std::vector<LoweredLayer> &layers = lowered.layers;
  const SchedulePlan plan = plan_schedule(network, layers, lowered.options.fuse_epilogues);
  const std::map<std::size_t, Slice> slices = choose_slices(network, layers, plan, context);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    LoweredLayer &layer = layers[i];
    // A batch norm's per-channel scale and shift, cheap and read by every element: once per call.
    for (Func &per_channel : layer.per_channel) per_channel.compute_root();
    const NodePlan &entry = plan[i];
    const Shape &shape = network.tensors[static_cast<std::size_t>(layer.node->output)].shape;
    if (entry.role == NodePlan::Role::root) {
      // A concatenation's updates that its inputs' heads write (Slice).
      std::vector<bool> written(layer.node->inputs.size());
      for (const auto &[head, slice] : slices) {
        if (plan[head].concat == static_cast<int>(i)) written[static_cast<std::size_t>(slice.update)] = true;
      }
      schedule_root(layer, shape, context, written);
      for (Func &internal : layer.internals) {
        internal.compute_at(layer.func, shape.size() == 3 ? Var(layer.func.name() + "_cn")
                                                          : layer.func.args().back());
      }
      continue;
    }
    if (entry.role != NodePlan::Role::head) continue;  // inlined, or stored by its head
    const bool fuse = plan.fuses(i);
    const auto slice = slices.find(i);
    // Stored by its tail, or a wrapper of itself; into a slice, neither: the slice's update reads
    // the tail (or the layer) inlined.
    Func stored = fuse ? layers[static_cast<std::size_t>(entry.tail)].func
                       : slice != slices.end() ? layer.func : layer.func.in();
    const Shape &in = network.tensors[static_cast<std::size_t>(layer.node->inputs[0])].shape;
    LayerSchedule scheduled;  // for the report
    if (std::holds_alternative<Linear>(layer.node->op)) {
      scheduled = schedule_linear(layer, stored, static_cast<int>(shape[0]), element_count(in), context);
    } else if (layer.winograd) {
      scheduled = schedule_conv_winograd(layer, stored, shape, in, context);
    } else if (computes_vectorized(layer, shape, context)) {
      const LoweredLayer *pool = context.per_image_threads || entry.pool < 0
                                     ? nullptr
                                     : &layers[static_cast<std::size_t>(entry.pool)];
      scheduled = schedule_conv_vectorized(layer, stored, shape, in, context, pool,
                                           slice != slices.end() ? &slice->second : nullptr);
    } else if (fuse) {
      schedule_conv_columns(layer, stored, shape, context);
      scheduled.how = "direct, vectorized across columns, 4 rows of sums at a time";
    } else {
      schedule_generic(layer.func, static_cast<int>(shape.back()), context);
      if (!layer.weights_embedded) layer.weights.weight.compute_root();
      scheduled.how = "the generic schedule: vectorized along its rows";
    }
    if (report) {
      scheduled.node = i;
      if (scheduled.tasks.empty()) scheduled.tasks = context.per_image_threads ? "whole images" : "channels × images";
      report->layers.push_back(std::move(scheduled));
    }
  }
  // The batched copy's specialization takes the output's schedule as it is when made: make it first.
  if (lowered.batch_vector > 0) schedule_batched(lowered, network);
  const Shape &out_shape = network.tensors[static_cast<std::size_t>(network.output)].shape;
  if (lowered.output_values && lowered.batch_vector == 0 && transposes_output(out_shape, context)) {
    schedule_transposed_output(lowered.output, *lowered.output_values, static_cast<int>(out_shape[2]), context);
  } else {
    schedule_generic(lowered.output, static_cast<int>(out_shape.back()), context);
  }
}

}  // namespace cnngen
