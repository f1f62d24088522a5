// The CPU schedule's choices; see cpu_choices.hpp. The measurements behind each rule are in
// docs/performance.md.
#include "codegen/cpu_choices.hpp"

#include <algorithm>

#include "codegen/cache_budgets.hpp"

namespace cnngen {
namespace {

/// Columns per register tile for rows `width` wide, at most `most`: fewer where the last tile,
/// shifted inwards, would recompute more than a tenth of the row (ResNet's 7-wide rows take 2
/// columns of AVX-512's 3 and 4 of AVX2's 6, computing 8 columns rather than 9 or 12).
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
/// Taken where the weights outgrow half of L2 (they cannot stay there from one row tile to the
/// next) and it reads less, as in ResNet-18's stride-2 layers.
bool weight_blocks_outer(const Conv2d &op, const Shape &in_shape, const Shape &shape, int channel_tile,
                         int row_tile) {
  const std::int64_t weights = conv_weight_bytes(op, in_shape[0], shape[0]);
  const std::int64_t input = 4 * element_count(in_shape);
  const std::int64_t row_tiles = ceil_div<std::int64_t>(shape[1], row_tile), blocks = ceil_div<std::int64_t>(shape[0], channel_tile);
  return weights > kHalfL2 && blocks * input < row_tiles * weights;
}

/// Blocks of `channel_tile` output channels per task of a convolution whose blocks lie outside its
/// row tiles (weight_blocks_outer): 1, each task one band of one block, where the image's input
/// fits in half of L2 and stays there from one block to the next. Where it outgrows it, every block
/// would read the whole input again from L3 (ResNet-50's 1024×14×14 → 256: 16 blocks of 16 × 784 KB
/// with AVX2): a task then computes its band for a group of blocks, one after another, so that the
/// band's input, read from L3 once, serves them all from L2. As many blocks as divide the blocks and
/// whose weights fit in a quarter of L2 (they stay there from one band to the next beside the input
/// rows streaming past, even in a 512 KB L2), leaving at least 8 tasks per image for the threads.
int blocks_per_task(const Conv2d &op, const Shape &in_shape, const Shape &shape, int channel_tile, int block_rows) {
  if (4 * element_count(in_shape) <= kHalfL2) return 1;
  const int blocks = ceil_div(static_cast<int>(shape[0]), channel_tile);
  const std::int64_t row_tiles = ceil_div<std::int64_t>(shape[1], block_rows);
  const std::int64_t fit = kQuarterL2 / conv_weight_bytes(op, in_shape[0], channel_tile);
  const std::int64_t enough_tasks = blocks * row_tiles / 8;
  return divisor_at_most(blocks, static_cast<int>(std::clamp<std::int64_t>(std::min(fit, enough_tasks), 1, blocks)));
}

/// Whether the padded input rows that one band of `rows` output rows reads fit in half of L2, where
/// they stay from their copy to their last read: then each task copies its band's rows (the halo
/// rows twice) instead of a pass over the whole padded input before the convolution. `padded_channels`:
/// the channels a pixel of the copy is stored with (padded_copy_channels).
bool padded_rows_in_l2(const Conv2d &op, const Shape &in_shape, int rows, int padded_channels) {
  return band_input_bytes(op, in_shape, rows, padded_channels) <= kHalfL2;
}

/// Rows of partial sums of `channel_tile` channels × `width` columns that fit in half of L1 (the
/// other half holds a slice's weights).
int sum_rows_in_half_l1(int channel_tile, int width) { return kHalfL1 / (channel_tile * width * 4); }

/// Input channels per step of a convolution's reduction when it sums a whole row of register
/// tiles one slice of input channels at a time, the partial sums kept in L1 between slices; 0 when
/// it sums each register tile over all input channels at once. A slice's weights (at most half of
/// L1) then serve every tile of the row from L1 instead of coming from L2 for each tile. Only where
/// a block's weights outgrow L1, a row holds more than one tile, and the row's sums fit in the other
/// half of L1 (wider rows ran slower so). A slice may not divide the input channels: the last is
/// then ragged.
int input_channel_chunk(const Conv2d &op, int input_channels, int channel_tile, int width, int column_tile,
                        int rows) {
  const int weight_bytes = static_cast<int>(op.kernel.h * op.kernel.w) * channel_tile * 4;  // per input channel
  const int inputs = input_channels / static_cast<int>(op.groups);
  if (op.groups != 1 || inputs <= 4 || width <= column_tile ||
      conv_weight_bytes(op, input_channels, channel_tile) <= kL1 || rows > sum_rows_in_half_l1(channel_tile, width)) {
    return 0;
  }
  // A divisor of the input channels where one comes within half of the most that fit; else the most,
  // the last slice ragged (guarded): 232 = 8 · 29 input channels in slices of 7, not of 4.
  const int most = std::max(1, kHalfL1 / weight_bytes);
  const int divisor = divisor_at_most(inputs, most);
  return 2 * divisor >= most ? divisor : std::min(most, inputs);
}

/// The rows of partial sums that a convolution summed in slices of `chunk` input channels keeps in
/// L1 per block of `channel_tile` output channels: the most rows whose sums fit in half of L1 among
/// the multiples of the register tile's `row_tile` that divide the height, so that each slice's
/// weights come from L2 once per block of rows, not once per row. Only where a slice's input of one
/// pixel is at most one cache line (16 channels): wider slices, one pixel's 2 KB apart, fall into
/// few of L1's sets and evict the weights.
int sliced_block_rows(int chunk, int channel_tile, int height, int width, int row_tile) {
  if (chunk > 16) return row_tile;
  return row_tile * divisor_at_most(height / row_tile, sum_rows_in_half_l1(channel_tile, width) / row_tile);
}

}  // namespace

ConvTile conv_tile(int channels, int height, int width, const CpuContext &context, bool exact) {
  // With AVX-512, 24 of the 32 vector registers hold sums: 4 vectors of channels × 3 columns ×
  // 2 rows where the channels allow (each weight vector loaded serves 6 pixels, each input value
  // 4 vectors), else 2 vectors × 6 columns, else 1 × 12. AVX2 has 16 registers: 12 sums in one
  // row, at most 2 vectors × 6 columns, so that the 2 weight vectors and the broadcast input fit
  // beside them (15 registers); 4 vectors × 3 columns would need 17 and spill a sum in every tap.
  // Narrow rows take fewer columns (columns_for_width).
  const int most_vectors = context.vector < 16 ? 2 : 4;
  const int vectors = channels % context.vector == 0
                          ? std::min(channel_vectors(channels, context.vector), most_vectors)
                          : ragged_channel_vectors(channels, context.vector, most_vectors);
  const int most_columns = vectors == 4 ? 3 : vectors == 2 ? 6 : 12;
  const int columns = exact ? most_columns : columns_for_width(width, most_columns);
  const int rows = vectors == 4 && context.vector >= 16 ? 2 : 1;
  if (exact) return {vectors * context.vector, divisor_at_most(width, columns), divisor_at_most(height, rows)};
  return {vectors * context.vector, std::min(width, columns), std::min(height, rows)};
}

DirectChoice choose_direct(const Conv2d &op, const Shape &in_shape, const Shape &shape, const CpuContext &context,
                           const Pool2d *pool, bool sliced, const RowStrips &strips) {
  const int input_channels = static_cast<int>(in_shape[0]);
  const int channels = static_cast<int>(shape[0]), height = static_cast<int>(shape[1]),
            width = static_cast<int>(shape[2]);
  const ConvTile tile = conv_tile(channels, height, width, context, sliced);
  int column_tile = tile.columns, row_tile = tile.rows;
  if (pool) {
    // Computed row by row inside the pooling that alone reads it: tiles shifted inwards must fit
    // the rows one pooled row needs, kernel-height rows and the columns the pooled row covers.
    const std::int64_t pooled_width = (width - pool->kernel.w) / pool->stride.w + 1;
    column_tile = static_cast<int>(std::min<std::int64_t>(column_tile, pooled_width * pool->kernel.w));
    if (pool->kernel.h % row_tile != 0) row_tile = 1;
  }
  const bool nested = pool || strips.inside;  // computed inside another stage's rows
  const int chunk = sliced ? 0 : input_channel_chunk(op, input_channels, tile.channels, width, column_tile, row_tile);
  if (chunk && !nested && height % row_tile != 0) {
    // Rows of tiles shifted inwards would recompute a row (7 rows as 4 tiles of 2: 8); with the
    // sums in L1 the tile needs no second row to reuse its weights, so one row of as many columns
    // as the two had, spread evenly over the row (the last tile ragged).
    column_tile = ceil_div(width, ceil_div(width, column_tile * row_tile));
    row_tile = 1;
  }
  const int block_rows =
      chunk && !nested ? sliced_block_rows(chunk, tile.channels, height, width, row_tile) : row_tile;
  // Strips of whole row tiles, as evenly spread as the row tiles allow.
  const int strip_rows = strips.rows > 0 ? ceil_div(strips.rows, block_rows) * block_rows : 0;
  // Blocks of output channels outside the row tiles where there are few row tiles (whole images:
  // one), so that the blocks share the threads.
  const bool blocks_outer = !nested && !sliced && !strip_rows &&
                            (block_rows > row_tile || weight_blocks_outer(op, in_shape, shape, tile.channels, block_rows));
  const int task_blocks = blocks_outer ? blocks_per_task(op, in_shape, shape, tile.channels, block_rows) : 1;
  // Where each task is one band of rows of one image (a whole image in a small network; all blocks
  // of output channels), its padded rows are copied inside the task, just before they are read.
  const int task_rows = context.per_image_threads ? height : block_rows;
  const int copy_channels = padded_copy_channels(op, input_channels);
  const bool per_task =
      !nested && !sliced && !blocks_outer && padded_rows_in_l2(op, in_shape, task_rows, copy_channels);
  using Padded = DirectChoice::Padded;
  const Padded padded = op.padding.h == 0 && op.padding.w == 0 ? Padded::none
                        : strip_rows                           ? Padded::per_strip_row
                        : per_task                             ? Padded::per_task
                                                               : Padded::whole;
  const int padded_channels = padded == Padded::none ? input_channels : copy_channels;
  return {op,         in_shape,   shape,        context.vector, tile.channels,    column_tile,
          row_tile,   chunk,      block_rows,   blocks_outer,   task_blocks, pool != nullptr,  sliced,
          strips.inside, strip_rows, context.per_image_threads, padded, padded_channels};
}

int padded_copy_channels(const Conv2d &op, int input_channels) {
  constexpr int kLineFloats = 16;
  const bool even_lines = input_channels % (2 * kLineFloats) == 0;
  return op.groups == 1 && even_lines ? input_channels + kLineFloats : input_channels;
}

int depthwise_strip_rows(const Conv2d &op, const Shape &in_shape, const Shape &shape, const CpuContext &context) {
  if (context.per_image_threads || 4 * element_count(in_shape) <= kL2) return 0;
  const std::int64_t height = shape[1], stride = op.stride.h;
  const std::int64_t reach = op.dilation.h * (op.kernel.h - 1) + 1;
  // The fewest rows whose input rows, (rows − 1)·stride + reach, are at most 9/8 of rows·stride.
  std::int64_t rows = 1;
  while (rows < height && 8 * ((rows - 1) * stride + reach) > 9 * rows * stride) ++rows;
  // At most 4 strips an image: each strip allocates its rows of storage on every call (14 strips
  // cost MobileNetV3 0.2 ms a call), and 4 keep 2 threads busy at batch 1.
  const std::int64_t strips = std::min<std::int64_t>(4, height / rows);
  if (strips < 2) return 0;
  return static_cast<int>(ceil_div(height, strips));
}

int winograd_tiles(std::int64_t extent, int tile) { return static_cast<int>(ceil_div<std::int64_t>(extent, tile)); }

int winograd_group(int tiles, int vectors, int vector_floats) {
  const int accumulators = vector_floats >= 16 ? 28 : 12;
  const int most = std::min(7, accumulators / vectors);
  const int group = divisor_at_most(tiles, most);
  return 2 * group < most + 1 ? std::min(most, tiles) : group;
}

WinogradChoice choose_winograd(const Shape &in_shape, const Shape &shape, int tile, int points,
                               const CpuContext &context) {
  const int channels = static_cast<int>(shape[0]), height = static_cast<int>(shape[1]),
            width = static_cast<int>(shape[2]);
  // Blocks of 4 vectors of channels where the last one, shifted inwards over the one before,
  // recomputes little (368 = 23 vectors in blocks of 4), as the direct path's.
  const int vectors = ragged_channel_vectors(channels, context.vector, 4);
  const int channel_tile = vectors * context.vector;
  const int tiles_x = winograd_tiles(width, tile), tiles_y = winograd_tiles(height, tile);
  const int group = winograd_group(tiles_x, vectors, context.vector);
  const int rounded_tiles = ceil_div(tiles_x, group) * group;
  // A band holds at least 28 tiles (or the whole image): a block's transformed weights for one
  // product stay in L2 while the band's tiles stream past.
  const int band = std::min(tiles_y, ceil_div(28, tiles_x));
  // Threads share the blocks of output channels where there are as many as bands or 4, else the
  // bands (F(4×4) at 28×28 has two bands of 4 and 3 tile rows: uneven for 2 threads).
  const int blocks = ceil_div(channels, channel_tile), bands = ceil_div(tiles_y, band);
  const bool channel_threads = blocks >= 4 || blocks >= bands;
  return {in_shape, shape,   tile,          points, vectors, context.vector, group,
          tiles_x,  tiles_y, rounded_tiles, band,   blocks,  bands,          channel_threads};
}

LinearChoice choose_linear(std::int64_t features, std::int64_t inputs, const CpuContext &context) {
  const int width = features >= context.vector ? context.vector : 1;
  const int tile = features >= 4 * width ? 4 * width : width;
  return {features, inputs, width, tile, context.per_image_threads};
}

bool computes_vectorized(const Operation &op, int winograd_tile, const Shape &shape, const CpuContext &context) {
  return std::holds_alternative<Conv2d>(op) && winograd_tile == 0 && shape[0] >= context.vector;
}

HeadChoice choose_head(const Operation &op, const Shape &in_shape, const Shape &shape, int winograd_tile,
                       int winograd_points, bool fuses, const Pool2d *pool, bool sliced, const CpuContext &context,
                       const RowStrips &strips) {
  if (std::holds_alternative<Linear>(op)) return choose_linear(shape[0], element_count(in_shape), context);
  if (winograd_tile > 0) return choose_winograd(in_shape, shape, winograd_tile, winograd_points, context);
  if (computes_vectorized(op, winograd_tile, shape, context)) {
    return choose_direct(std::get<Conv2d>(op), in_shape, shape, context, pool, sliced, strips);
  }
  if (fuses) return ColumnsChoice{context.per_image_threads};
  return GenericChoice{context.per_image_threads};
}

bool writes_into_slice(const Shape &shape, const CpuContext &context) {
  const int channels = static_cast<int>(shape[0]), height = static_cast<int>(shape[1]),
            width = static_cast<int>(shape[2]);
  const ConvTile exact = conv_tile(channels, height, width, context, true);
  const ConvTile shifted = conv_tile(channels, height, width, context, false);
  return 2 * exact.columns * exact.rows >= shifted.columns * shifted.rows;
}

bool transposes_output(const Shape &shape, const CpuContext &context) {
  return shape.size() == 3 && shape[0] >= context.vector && shape[2] >= 4;
}

}  // namespace cnngen
