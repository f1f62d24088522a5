// The steps of cnngen's CPU schedule that apply a choice (cpu_choices.hpp) to the Funcs lower()
// defined, as Halide directives: a direct convolution's tiles (schedule_direct.cpp), Winograd's
// bands (schedule_winograd.cpp), a linear layer's (schedule_linear.cpp), and the stages stored
// whole (schedule_stored.cpp). schedule_cpu.cpp walks the network and calls them. A loop another
// stage is computed inside is handed over as a Var or a LoopLevel, made once where the loop is.
//
// Image tensors between layers are stored channels-innermost (reorder_storage(c, x, y, n)), the
// layout in which a convolution vectorizes across output channels: each step multiplies one input
// value, broadcast, by a vector of weights (packed with the output channel innermost) and
// accumulates into a register tile of output channels × columns, as Halide's apps/conv_layer does.
#pragma once

#include <optional>
#include <vector>

#include <Halide.h>

#include "codegen/cpu_choices.hpp"
#include "codegen/lower.hpp"

namespace cnngen {

/// A concatenation's update that stores one input's channels: the input's head is computed tile by
/// tile inside it (plan.hpp), its chain inlined, and no copy of the input is stored.
struct Slice {
  Halide::Func concat;
  int update;  // the update definition that writes the input's channels
};

// ---------------------------------------------------------------------------------------------
// Stages stored whole (schedule_stored.cpp)

/// Parallel over images (and channels), vectorized along the innermost dimension when it is at
/// least one vector wide, for the pure definition and every update. Returns the parallel loop:
/// channels and images fused for an image tensor, the images for features.
Halide::Var schedule_generic(Halide::Func func, int innermost_extent, const CpuContext &context);

/// A C×H×W tensor stored channels-innermost, vectorized across channels; where `rows` is given,
/// computed whole, row by row in parallel, the rows (fused with the images) in `rows`. An output
/// (`is_output`) is not stored by the pipeline: its buffer's layout is the caller's.
void schedule_channels_innermost(Halide::Func func, int channels, const CpuContext &context,
                                 const std::optional<Halide::Var> &rows, bool is_output = false);

/// The output copied from `values` (stored channels-innermost) in blocks of one vector of
/// channels × one vector of columns (the whole row where `width` is narrower).
void schedule_transposed_output(Halide::Func output, Halide::Func values, int width, const CpuContext &context);

/// A stage the plan stores whole (plan.hpp): channels-innermost where they fill vectors, else the
/// generic schedule; a concatenation lowered in slices copies the inputs no head writes
/// (`written[j]`: a head writes update j). `rows`: the Var of its parallel rows, where a
/// convolution is computed inside them (a pooling, DirectChoice::pooled).
void schedule_stored(LoweredLayer &layer, const Shape &shape, const CpuContext &context,
                     const std::vector<bool> &written, const std::optional<Halide::Var> &rows);

// ---------------------------------------------------------------------------------------------
// Heads: convolutions and linear layers, each computed in the tiles of `stored`, the last stage
// of its fused chain or a wrapper of itself.

/// The loops of a depthwise convolution's row strips (DirectChoice::strip_rows) that its expansion
/// is computed and stored in: each row tile of a strip, and the strips fused with the images.
/// Named after the Func that stores the depthwise convolution, so that each names its own.
struct StripLoops {
  Halide::Var rows, strips;
};
StripLoops strip_loops(const Halide::Func &stored);

/// Where a head computed inside another stage's loops (a pooling's rows, a strip's rows) computes
/// and stores its tiles. Halide folds the storage of a strip's rows itself (its sliding window).
struct NestedIn {
  Halide::LoopLevel compute, store;
};

/// With `slice`, the tiles are those of the concatenation's update instead; with `nested`, they
/// are computed inside the loops of another stage (DirectChoice::pooled, in_strips).
void apply_direct(const DirectChoice &choice, const LoweredLayer &layer, Halide::Func stored, const Slice *slice,
                  const std::optional<NestedIn> &nested, const CpuContext &context);
void apply_columns(const LoweredLayer &layer, Halide::Func stored, const Shape &shape, const CpuContext &context);
void apply_winograd(const WinogradChoice &choice, const LoweredLayer &layer, Halide::Func stored);
void apply_linear(const LinearChoice &choice, const LoweredLayer &layer, Halide::Func stored);

}  // namespace cnngen
