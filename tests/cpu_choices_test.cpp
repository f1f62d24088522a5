// The CPU schedule's choices (codegen/cpu_choices.hpp), chosen from shapes alone: no Halide, no
// compiling. Worked examples by hand, and the budgets every choice keeps over grids of shapes.
#include "codegen/cpu_choices.hpp"

#include <gtest/gtest.h>

#include "codegen/cache_budgets.hpp"

namespace cnngen::testing {
namespace {

constexpr CpuContext kAvx512{16, false}, kAvx2{8, false};

Conv2d conv3x3(std::int64_t in, std::int64_t out, std::int64_t stride) {
  Conv2d op;
  op.in_channels = in;
  op.out_channels = out;
  op.kernel = {3, 3};
  op.stride = {stride, stride};
  op.padding = {1, 1};
  op.dilation = {1, 1};
  return op;
}

// A stride-2 3×3 convolution 64×28×28 → 128×14×14, worked out by hand (the same layer as
// Cli.ScheduleOfWinogradAndStrideTwoLayers prints): with AVX-512 a tile of 4 vectors × 3 columns ×
// 2 rows; a block's weights (64 × 9 × 64 floats, 144 KiB) outgrow L1, so the inputs are summed in
// slices of 4 (9 KiB); 7 bands of 2 rows, the padded rows of a band (37.5 KiB) copied in its task.
// With AVX2, 2 vectors × 6 columns, narrowed to 5 for 14 columns; slices of 16, the whole image's
// sums per block (14 rows), the blocks outside the bands and the padded input copied whole.
TEST(CpuChoices, StrideTwoConvolutionByHand) {
  const Conv2d op = conv3x3(64, 128, 2);
  const DirectChoice wide = choose_direct(op, {64, 28, 28}, {128, 14, 14}, kAvx512, nullptr, false);
  EXPECT_EQ(wide.channels, 64);
  EXPECT_EQ(wide.columns, 3);
  EXPECT_EQ(wide.rows, 2);
  EXPECT_EQ(wide.chunk, 4);
  EXPECT_EQ(wide.block_rows, 2);
  EXPECT_FALSE(wide.blocks_outer);
  EXPECT_EQ(wide.padded, DirectChoice::Padded::per_task);

  const DirectChoice narrow = choose_direct(op, {64, 28, 28}, {128, 14, 14}, kAvx2, nullptr, false);
  EXPECT_EQ(narrow.channels, 16);
  EXPECT_EQ(narrow.columns, 5);
  EXPECT_EQ(narrow.rows, 1);
  EXPECT_EQ(narrow.chunk, 16);
  EXPECT_EQ(narrow.block_rows, 14);
  EXPECT_TRUE(narrow.blocks_outer);
  EXPECT_EQ(narrow.padded, DirectChoice::Padded::whole);
}

// ResNet-50's layer3 1×1 convolutions 1024×14×14 → 256, with AVX2: blocks of 16 output channels
// (64 KiB of weights each, 1 MiB in all) outside 14 bands of a row. The 784 KiB input outgrows half
// of L2, so a task computes its band for 4 blocks (256 KiB of weights, a quarter of L2): the input
// comes from L3 4 times per call rather than 16. Its 256 → 1024 expansion, whose 196 KiB input
// stays in L2 from block to block, keeps one block per task.
TEST(CpuChoices, BlocksPerTaskWhereTheInputOutgrowsL2) {
  Conv2d reduce = conv3x3(1024, 256, 1);
  reduce.kernel = {1, 1};
  reduce.padding = {0, 0};
  const DirectChoice c = choose_direct(reduce, {1024, 14, 14}, {256, 14, 14}, kAvx2, nullptr, false);
  EXPECT_EQ(c.channels, 16);
  EXPECT_EQ(c.block_rows, 1);
  EXPECT_TRUE(c.blocks_outer);
  EXPECT_EQ(c.task_blocks, 4);

  Conv2d expand = reduce;
  expand.in_channels = 256;
  expand.out_channels = 1024;
  const DirectChoice e = choose_direct(expand, {256, 14, 14}, {1024, 14, 14}, kAvx2, nullptr, false);
  EXPECT_TRUE(e.blocks_outer);
  EXPECT_EQ(e.task_blocks, 1);
}

// A dense convolution's padded input copy holds an odd number of cache lines a pixel: 512 channels
// (32 lines, 2 KB: pixels in 2 of L1's 64 sets) are stored as 528 (33 lines); 48 (3 lines) and 3
// stay as they are, and so do depthwise convolutions and inputs without padding.
TEST(CpuChoices, PaddedCopyOfAnOddNumberOfCacheLines) {
  EXPECT_EQ(padded_copy_channels(conv3x3(512, 512, 2), 512), 528);
  EXPECT_EQ(padded_copy_channels(conv3x3(64, 64, 1), 64), 80);
  EXPECT_EQ(padded_copy_channels(conv3x3(48, 64, 1), 48), 48);
  EXPECT_EQ(padded_copy_channels(conv3x3(3, 64, 1), 3), 3);
  Conv2d grouped = conv3x3(512, 512, 1);
  grouped.groups = 512;
  EXPECT_EQ(padded_copy_channels(grouped, 512), 512);

  const DirectChoice c = choose_direct(conv3x3(512, 512, 2), {512, 14, 14}, {512, 7, 7}, kAvx2, nullptr, false);
  EXPECT_NE(c.padded, DirectChoice::Padded::none);
  EXPECT_EQ(c.padded_channels, 528);
  Conv2d pointwise = conv3x3(512, 512, 1);
  pointwise.kernel = {1, 1};
  pointwise.padding = {0, 0};
  const DirectChoice p = choose_direct(pointwise, {512, 14, 14}, {512, 14, 14}, kAvx2, nullptr, false);
  EXPECT_EQ(p.padded, DirectChoice::Padded::none);
  EXPECT_EQ(p.padded_channels, 512);

  // Whether a band's padded rows fit in half of L2 counts the channels the copy stores: 96 × 240²
  // → 64, stride 2, bands of 2 rows on AVX-512 read 5 rows × 242 columns, 454 KiB at 96 channels
  // but 529 KiB at the 112 stored; so the copy is made whole first, not per task.
  const DirectChoice wide = choose_direct(conv3x3(96, 64, 2), {96, 240, 240}, {64, 120, 120}, kAvx512, nullptr, false);
  EXPECT_EQ(wide.block_rows, 2);
  EXPECT_EQ(wide.padded_channels, 112);
  EXPECT_EQ(wide.padded, DirectChoice::Padded::whole);
}

Conv2d depthwise(std::int64_t channels, std::int64_t kernel, std::int64_t stride) {
  Conv2d op = conv3x3(channels, channels, stride);
  op.kernel = {kernel, kernel};
  op.padding = {kernel / 2, kernel / 2};
  op.groups = channels;
  return op;
}

// MobileNetV2's inverted residuals, by hand. The second block expands 16 → 96 channels at 112×112
// (4.6 MiB an image) for a stride-2 depthwise convolution to 56×56: a strip of r output rows reads
// 2r + 1 expanded rows for its own 2r, at most 1/8 more from 4 rows; at most 4 strips an image
// (each allocates its rows on every call), so 4 strips of 14. The third
// expands to 144 channels at 56×56 (1.7 MiB), stride 1: r + 2 rows for r from 16 rows, so 3 strips
// of ⌈56 / 3⌉ = 19. A 5×5 kernel at stride 1 needs 32 rows; at 28×28 with 192 channels (588 KiB)
// the expanded tensor fits the L2 budget, and a small network's threads take whole images: no
// strips. In strips, the depthwise convolution's padded rows are copied row by row as they are
// read; the expansion keeps its register tile (2 rows with 4 vectors of channels, as the depthwise
// convolution, whose row tile then reads 2 × stride new rows), its bands a row tile each.
TEST(CpuChoices, DepthwiseStripsByHand) {
  EXPECT_EQ(depthwise_strip_rows(depthwise(96, 3, 2), {96, 112, 112}, {96, 56, 56}, kAvx512), 14);
  EXPECT_EQ(depthwise_strip_rows(depthwise(144, 3, 1), {144, 56, 56}, {144, 56, 56}, kAvx512), 19);
  EXPECT_EQ(depthwise_strip_rows(depthwise(144, 5, 1), {144, 70, 70}, {144, 70, 70}, kAvx512), 35);
  EXPECT_EQ(depthwise_strip_rows(depthwise(144, 5, 1), {144, 56, 56}, {144, 56, 56}, kAvx512), 0);
  EXPECT_EQ(depthwise_strip_rows(depthwise(192, 3, 1), {192, 28, 28}, {192, 28, 28}, kAvx512), 0);
  EXPECT_EQ(depthwise_strip_rows(depthwise(144, 3, 1), {144, 56, 56}, {144, 56, 56}, CpuContext{16, true}), 0);

  const DirectChoice strips = choose_direct(depthwise(144, 3, 1), {144, 56, 56}, {144, 56, 56}, kAvx512, nullptr,
                                            false, RowStrips{19, false});
  EXPECT_EQ(strips.strip_rows, 19);
  EXPECT_FALSE(strips.blocks_outer);
  EXPECT_EQ(strips.padded, DirectChoice::Padded::per_strip_row);
  // A row tile of 2 rows (4 vectors of channels): strips of whole row tiles.
  EXPECT_EQ(choose_direct(depthwise(64, 3, 1), {64, 56, 56}, {64, 56, 56}, kAvx512, nullptr, false,
                          RowStrips{19, false})
                .strip_rows,
            20);

  Conv2d expansion = conv3x3(16, 64, 1);
  expansion.kernel = {1, 1};
  expansion.padding = {0, 0};
  const DirectChoice inside = choose_direct(expansion, {16, 112, 112}, {64, 112, 112}, kAvx512, nullptr, false,
                                            RowStrips{0, true});
  EXPECT_TRUE(inside.in_strips);
  EXPECT_EQ(inside.rows, 2);
  EXPECT_EQ(inside.block_rows, 2);
  EXPECT_FALSE(inside.blocks_outer);
  EXPECT_EQ(inside.padded, DirectChoice::Padded::none);
}

// Winograd F(4×4, 3×3) at 28×28 outputs: 7 × 7 tiles, register tiles of 4 vectors × 7 tiles with
// AVX-512 (28 sums), bands of ⌈28 / 7⌉ = 4 tile rows; AVX2's 12 sums take 2 vectors × 6 tiles.
TEST(CpuChoices, WinogradByHand) {
  const WinogradChoice wide = choose_winograd({64, 28, 28}, {64, 28, 28}, 4, 6, kAvx512);
  EXPECT_EQ(wide.tiles_x, 7);
  EXPECT_EQ(wide.vectors, 4);
  EXPECT_EQ(wide.group, 7);
  EXPECT_EQ(wide.band, 4);
  EXPECT_EQ(wide.bands, 2);
  const WinogradChoice narrow = choose_winograd({64, 28, 28}, {64, 28, 28}, 4, 6, kAvx2);
  EXPECT_EQ(narrow.vectors * narrow.group, 12);
}

// Every register tile fits the registers it was sized for (24 sums of AVX-512's 32 registers, 12
// of AVX2's 16) and is whole vectors of channels; an exact tile divides the image.
TEST(CpuChoices, RegisterTilesFitTheRegisters) {
  for (const CpuContext &context : {kAvx512, kAvx2}) {
    const int most_sums = context.vector >= 16 ? 24 : 12;
    for (int channels = context.vector; channels <= 512; channels += context.vector) {
      for (int height = 1; height <= 30; ++height) {
        for (int width : {1, 2, 3, 5, 7, 13, 14, 28, 56, 112}) {
          for (bool exact : {false, true}) {
            const ConvTile tile = conv_tile(channels, height, width, context, exact);
            ASSERT_EQ(tile.channels % context.vector, 0);
            ASSERT_EQ(channels % tile.channels, 0);
            ASSERT_LE(tile.channels / context.vector * tile.columns * tile.rows, most_sums);
            ASSERT_LE(tile.columns, width);
            ASSERT_LE(tile.rows, height);
            if (exact) {
              ASSERT_EQ(width % tile.columns, 0);
              ASSERT_EQ(height % tile.rows, 0);
            }
          }
        }
      }
    }
  }
}

// Over the convolutions of VGG-, ResNet- and AlexNet-sized layers, every direct choice keeps the
// working sets it reports within their budgets: a slice's weights and the row sums it adds to in
// half of L1 each, a band's padded rows copied in its task in half of L2.
TEST(CpuChoices, DirectChoicesKeepTheirBudgets) {
  for (const CpuContext &context : {kAvx512, kAvx2}) {
    for (std::int64_t in : {3, 16, 64, 128, 256, 512, 1024}) {
      for (std::int64_t out : {16, 64, 128, 256, 512}) {
        for (std::int64_t size : {7, 14, 28, 56, 112, 224}) {
          for (std::int64_t stride : {1, 2}) {
            const Conv2d op = conv3x3(in, out, stride);
            const Shape in_shape{in, size, size}, shape{out, (size - 1) / stride + 1, (size - 1) / stride + 1};
            const DirectChoice c = choose_direct(op, in_shape, shape, context, nullptr, false);
            SCOPED_TRACE(std::to_string(in) + "×" + std::to_string(size) + " → " + std::to_string(out) +
                         ", stride " + std::to_string(stride) + ", " + std::to_string(context.vector) + "-float");
            if (c.chunk > 0) {
              EXPECT_LE(4 * c.chunk * 9 * c.channels, kHalfL1);
              EXPECT_LE(4 * c.channels * shape[2] * c.block_rows, kHalfL1);
              EXPECT_EQ(in % c.chunk, 0);
            }
            if (c.padded == DirectChoice::Padded::per_task) {
              // The rows as the copy stores them, its extra channels included.
              EXPECT_LE(band_input_bytes(op, in_shape, c.block_rows, c.padded_channels), kHalfL2);
              EXPECT_FALSE(c.blocks_outer);
            }
            EXPECT_EQ(c.block_rows % c.rows, 0);
            if (c.task_blocks > 1) {
              // Groups of blocks only where the input outgrows half of L2, their weights in a quarter.
              EXPECT_TRUE(c.blocks_outer);
              EXPECT_GT(4 * element_count(in_shape), kHalfL2);
              EXPECT_EQ(ceil_div<std::int64_t>(out, c.channels) % c.task_blocks, 0);
              EXPECT_LE(c.task_blocks * conv_weight_bytes(op, in, c.channels), kQuarterL2);
            }
          }
        }
      }
    }
  }
}

// A head's algorithm: Winograd where lowering took it, direct where the output channels fill
// vectors, else across columns where it stores a fused chain, else the generic schedule; a linear
// layer's own.
TEST(CpuChoices, HeadAlgorithm) {
  const Conv2d op = conv3x3(16, 6, 1);
  EXPECT_TRUE(std::holds_alternative<ColumnsChoice>(
      choose_head(op, {16, 8, 8}, {6, 8, 8}, 0, 0, true, nullptr, false, kAvx2)));
  EXPECT_TRUE(std::holds_alternative<GenericChoice>(
      choose_head(op, {16, 8, 8}, {6, 8, 8}, 0, 0, false, nullptr, false, kAvx2)));
  EXPECT_TRUE(std::holds_alternative<DirectChoice>(
      choose_head(conv3x3(16, 16, 1), {16, 8, 8}, {16, 8, 8}, 0, 0, false, nullptr, false, kAvx2)));
  EXPECT_TRUE(std::holds_alternative<WinogradChoice>(
      choose_head(conv3x3(16, 16, 1), {16, 8, 8}, {16, 8, 8}, 2, 4, false, nullptr, false, kAvx2)));
  Linear linear;
  linear.in_features = 400;
  linear.out_features = 120;
  const HeadChoice choice = choose_head(linear, {400}, {120}, 0, 0, true, nullptr, false, kAvx512);
  ASSERT_TRUE(std::holds_alternative<LinearChoice>(choice));
  EXPECT_EQ(std::get<LinearChoice>(choice).tile, 64);
}

}  // namespace
}  // namespace cnngen::testing
