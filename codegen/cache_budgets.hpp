// The arithmetic the CPU schedule sizes its blocking by: the cache budgets per core, the bytes a
// convolution's weights and a band of its input take, and the integer helpers tiles are chosen
// with. Plain values, no Halide: the choices (cpu_choices.hpp) and the report both read them.
#pragma once

#include <algorithm>
#include <cstdint>

#include "codegen/integer_arithmetic.hpp"
#include "dsl/network.hpp"

namespace cnngen {

/// The cache budgets the CPU schedule's blocking is sized against (per core; schedule_report.hpp
/// prints each layer's working sets against them): a 32 KB L1, of which a slice of weights and the
/// sums it adds to take half each, and a 1 MB L2, half of it for what must stay there between two
/// uses.
inline constexpr int kL1 = 32 * 1024;
inline constexpr int kHalfL1 = kL1 / 2;
inline constexpr std::int64_t kL2 = 1024 * 1024;
inline constexpr std::int64_t kHalfL2 = kL2 / 2;
/// What may stay in L2 beside data streaming through it where the L2 may be as small as 512 KB
/// (the Zen 3): a group of blocks' weights (blocks_per_task).
inline constexpr std::int64_t kQuarterL2 = kL2 / 4;

/// The weights of `outputs` output channels of a convolution with `input_channels` inputs, in
/// bytes: a block's (outputs = its channels) or the layer's.
inline std::int64_t conv_weight_bytes(const Conv2d &op, std::int64_t input_channels, std::int64_t outputs) {
  return 4 * (input_channels / op.groups) * op.kernel.h * op.kernel.w * outputs;
}

/// The padded input rows that a band of `rows` output rows of a convolution reads, in bytes, a
/// pixel stored as `channels` channels (the padded copy's: DirectChoice::padded_channels).
inline std::int64_t band_input_bytes(const Conv2d &op, const Shape &in_shape, int rows, std::int64_t channels) {
  const std::int64_t input_rows = (rows - 1) * op.stride.h + op.dilation.h * (op.kernel.h - 1) + 1;
  return input_rows * (in_shape[2] + 2 * op.padding.w) * channels * 4;
}

/// Vectors of `vector` output channels in a convolution's register tile: 4 where the channels
/// allow, else 2, else 1.
inline int channel_vectors(int channels, int vector) {
  return channels % (4 * vector) == 0 ? 4 : channels % (2 * vector) == 0 ? 2 : 1;
}

/// Vectors of output channels in the register tile of a direct convolution whose channels are not
/// a whole number of vectors (1000, 72, 24 with 16 floats a vector): its last block of channels is
/// shifted inwards to overlap the one before, recomputing the overlap. Of 4, 2 and 1 vectors (at
/// most `most`), the widest block (the better register tile) whose blocks compute at most a
/// sixteenth more channels than blocks of one vector do: 1000 in blocks of 64 (1024 computed; in
/// blocks of 16, 1008), 232 and 200 in blocks of 16 (240 and 208; in blocks of 64, 256).
inline int ragged_channel_vectors(int channels, int vector, int most) {
  const long one_vector = (channels + vector - 1) / vector * static_cast<long>(vector);
  for (int vectors : {4, 2}) {
    if (vectors > most || vectors * vector > channels) continue;
    const long block = static_cast<long>(vectors) * vector;
    const long computed = (channels + block - 1) / block * block;
    if (16 * computed <= 17 * one_vector) return vectors;
  }
  return 1;
}

/// The largest divisor of `extent` no greater than `limit`.
inline int divisor_at_most(int extent, int limit) {
  for (int d = std::min(extent, limit); d > 1; --d) {
    if (extent % d == 0) return d;
  }
  return 1;
}

}  // namespace cnngen
