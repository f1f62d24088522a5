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
    for (std::int64_t in : {3, 16, 64, 128, 256, 512}) {
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
              EXPECT_LE(band_input_bytes(op, in_shape, c.block_rows), kHalfL2);
              EXPECT_FALSE(c.blocks_outer);
            }
            EXPECT_EQ(c.block_rows % c.rows, 0);
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
