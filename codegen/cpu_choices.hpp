// What cnngen's CPU schedule chooses for each convolution and linear layer, as plain values chosen
// from the layer's shapes, the target's vector width and the cache budgets (cache_budgets.hpp)
// alone: the algorithm, the register tile, the blocking and what the threads share. No Halide
// here: the choices are tested without compiling anything, applied as Halide directives by
// cpu_steps.hpp and printed by `cnngen schedule` (schedule_report.hpp).
#pragma once

#include <cstdint>
#include <variant>

#include "dsl/network.hpp"

namespace cnngen {

/// What every choice depends on besides the layer: floats per vector register, and whether the
/// network is too small to share one image among threads (LeNet: 0.4 M multiply-adds), so that
/// only images run in parallel (is_small_network).
struct CpuContext {
  int vector = 8;
  bool per_image_threads = false;
};

/// A convolution's register tile: output channels (whole vectors) × columns × rows.
struct ConvTile {
  int channels, columns, rows;
};

/// The register tile of a convolution with `channels` outputs (at least a vector) over height ×
/// width pixels. Tiles at the right and bottom edges, and the last block of channels where the
/// channels are not a whole number of blocks (ragged_channel_vectors), are shifted inwards
/// (recomputing a few pixels or channels); with `exact` (a tile written into a concatenation's slice, an update stage where no
/// tile may be shifted) the columns and rows divide the width and height.
ConvTile conv_tile(int channels, int height, int width, const CpuContext &context, bool exact);

/// A direct convolution with at least a vector of output channels: its output tiled into a register
/// tile of vectors of channels × columns × rows, accumulated in registers.
struct DirectChoice {
  Conv2d op;
  Shape in_shape, shape;
  int vector;                           // floats per vector register
  int channels, columns, rows;          // the register tile as placed
  int chunk;                            // input channels per slice; 0: all at once
  int block_rows;                       // rows per band (row tile)
  bool blocks_outer;                    // blocks of output channels outside the bands
  int task_blocks;                      // blocks of output channels per task (blocks_outer); else 1
  bool pooled;                          // computed row by row inside the pooling that reads it
  bool sliced;                          // written tile by tile into a concatenation's slice
  bool in_strips;                       // computed inside the row strips of the depthwise convolution reading it
  int strip_rows;                       // a depthwise convolution's output rows per strip; 0: no strips
  bool per_image_threads;
  // Where its zero-padded input is copied: whole first, in each task, or row by row inside each
  // strip as the strip reads it (per_strip_row, with strip_rows).
  enum class Padded { none, whole, per_task, per_strip_row } padded;
  int padded_channels;  // channels a pixel of the padded copy: the input's, or a cache line more (padded_copy_channels)
};

/// Channels a pixel of a convolution's zero-padded input copy, stored channels-innermost: the
/// input's, or 16 more (zeros) where a pixel would span an even number of 64-byte cache lines and
/// the convolution is dense. Pixels 2^k lines apart fall into a few of L1's 64 sets (at 512
/// channels, 2 KB a pixel: 2 sets, 16 lines), so a register tile's input pixels evicted each other
/// and the slice's weights from L1 on every tap; an odd number of lines a pixel spreads them over
/// every set. ResNet-50's 512×14×14 → 512 3×3 stride 2 took 0.61 of the time so (AVX2, Zen 3).
int padded_copy_channels(const Conv2d &op, int input_channels);

/// An inverted residual's expansion computed inside its depthwise convolution (plan.hpp,
/// strip_reader): the depthwise convolution runs in strips of rows, the strips in parallel and the
/// rows of each in order, and the pointwise convolution computes, inside each row of the strip,
/// the rows of the expanded tensor that row reads first (Halide's sliding window), kept in a few
/// rows of storage per strip instead of a tensor through memory.
struct RowStrips {
  int rows = 0;         // the depthwise convolution: its output rows per strip (0: none)
  bool inside = false;  // the pointwise convolution: computed inside a strip's rows
};

/// `pool`: the tiling pooling that alone reads the convolution (plan.hpp), where the schedule
/// computes it inside the pooling's rows; `sliced`: its tiles go straight into a concatenation;
/// `strips`: the row strips of an expansion and its depthwise convolution.
DirectChoice choose_direct(const Conv2d &op, const Shape &in_shape, const Shape &shape, const CpuContext &context,
                           const Pool2d *pool, bool sliced, const RowStrips &strips = {});

/// The output rows per strip of depthwise convolution `op` (input `in_shape`, the expanded tensor;
/// output `shape`) when its expansion is computed inside the strips, or 0 where it is not: where
/// the expanded tensor of one image fits in the L2 budget (it stays there between the layers
/// anyway), where threads take whole images, and where fewer than 2 strips would be left. A
/// strip's first rows recompute the expanded rows the strip before also read (the kernel's reach
/// less the stride): strips of at least the rows that keep that under an eighth of the
/// expansion's work, at most 4 an image (each allocates its storage), spread evenly.
int depthwise_strip_rows(const Conv2d &op, const Shape &in_shape, const Shape &shape, const CpuContext &context);

/// A convolution computed by Winograd (winograd.hpp), band by band of tile rows.
struct WinogradChoice {
  Shape in_shape, shape;
  int tile, points;                     // m and P = m + r − 1
  int vectors, vector;                  // the register tile's vectors of output channels, floats per vector
  int group;                            // tiles per register tile
  int tiles_x, tiles_y, rounded_tiles;  // rounded_tiles: tiles_x rounded up to whole groups
  int band, blocks, bands;              // tile rows per band; blocks of output channels; bands per image
  bool channel_threads;                 // the blocks share the threads, not the bands
};

WinogradChoice choose_winograd(const Shape &in_shape, const Shape &shape, int tile, int points,
                               const CpuContext &context);

/// Output tiles of m×m (m = `tile`) along an output extent, the last one partly past the edge.
int winograd_tiles(std::int64_t extent, int tile);

/// Tiles per register tile for a row of `tiles` tiles and `vectors` vectors of `vector_floats`
/// output channels: a divisor of the row if one fills most of the accumulators (28 of AVX-512's
/// 32 registers, 12 of AVX2's 16), else as many as fit, the row rounded up to a multiple (the
/// extra tiles read zeros past the input).
int winograd_group(int tiles, int vectors, int vector_floats);

/// A linear layer: tiles of output features, each for the whole batch, the features vectorized.
struct LinearChoice {
  std::int64_t features, inputs;
  int width;  // floats per vector of features: the vector, or 1 under one vector of features
  int tile;   // output features per task
  bool per_image_threads;
};

LinearChoice choose_linear(std::int64_t features, std::int64_t inputs, const CpuContext &context);

/// A convolution with too few output channels to fill a vector (LeNet's first: 6) that stores
/// its fused chain: vectorized across columns, four rows of sums at a time.
struct ColumnsChoice {
  bool per_image_threads;
};

/// A convolution with too few output channels to fill a vector and nothing fused: the generic
/// schedule, vectorized along its rows.
struct GenericChoice {
  bool per_image_threads;
};

using HeadChoice = std::variant<DirectChoice, WinogradChoice, LinearChoice, ColumnsChoice, GenericChoice>;

/// A head's choice: a linear layer's; a convolution's by Winograd where lowering took it
/// (`winograd_tile` > 0, its tile points `winograd_points`), else direct where its output channels
/// fill a vector, else by columns where it stores a fused chain (`fuses`), else generic.
HeadChoice choose_head(const Operation &op, const Shape &in_shape, const Shape &shape, int winograd_tile,
                       int winograd_points, bool fuses, const Pool2d *pool, bool sliced, const CpuContext &context,
                       const RowStrips &strips = {});

/// Whether a head with output `shape` is a direct convolution with at least a vector of output
/// channels (not necessarily a whole number of vectors: the last block then shifts inwards).
bool computes_vectorized(const Operation &op, int winograd_tile, const Shape &shape, const CpuContext &context);

/// Whether a direct convolution with output `shape` that only a concatenation reads writes its
/// tiles straight into the concatenation's slice: where its tiles that divide the image (an
/// update's tiles cannot be shifted inwards) are at least half as large as the shifted ones.
bool writes_into_slice(const Shape &shape, const CpuContext &context);

/// Whether the network's output (`shape`, PyTorch's C×H×W) is read from a tensor stored
/// channels-innermost (every C×H×W tensor of at least a vector of channels) with rows of at least
/// 4 columns: its copy into the planar output is then a transposition, block by block.
bool transposes_output(const Shape &shape, const CpuContext &context);

}  // namespace cnngen
