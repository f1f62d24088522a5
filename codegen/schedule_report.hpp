// What cnngen's CPU schedule chose for each convolution and linear layer, and the working set of
// each loop level against the cache it must stay in: `cnngen schedule` prints it. The entries are
// written by schedule_cpu.cpp from the same figures that schedule the code, so the report is the
// schedule's own account of its cache blocking (docs/performance.md, "What the schedules do").
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "dsl/network.hpp"
#include "dsl/source.hpp"

namespace cnngen {

/// What one loop level keeps in one cache between its uses, and the budget it was sized against
/// (0: none; it streams through).
struct WorkingSet {
  std::string level;  // "L1", "L2", "L3"
  std::string what;
  std::int64_t bytes = 0;
  std::int64_t budget = 0;
};

/// One layer's schedule: how it is computed (the algorithm and its register tile), what the
/// threads share, and its working sets, innermost level first.
struct LayerSchedule {
  std::size_t node = 0;  // index into the scheduled network's nodes
  std::string how;
  std::string tasks;
  std::vector<WorkingSet> sets;
};

/// The report of one network scheduled for one target.
struct ScheduleReport {
  std::string target;
  int vector = 0;            // floats per vector register
  int batch_vector = 0;      // > 0: from this many images a batch-vectorized copy runs instead
  bool weights_embedded = false;
  std::vector<LayerSchedule> layers;
};

/// What the CPU schedule chose for a direct convolution (schedule_conv_vectorized).
struct DirectChoice {
  const Conv2d &op;
  const Shape &in_shape, &shape;
  int vector;                           // floats per vector register
  int channels, columns, rows;          // the register tile as placed
  int chunk;                            // input channels per slice; 0: all at once
  int block_rows;                       // rows per band (row tile)
  bool blocks_outer, pooled, sliced, per_image_threads;
  enum class Padded { none, whole, per_task } padded;
};

/// What the CPU schedule chose for a Winograd convolution (schedule_conv_winograd).
struct WinogradChoice {
  const Shape &in_shape, &shape;
  int tile, points;                     // m and P = m + r − 1
  int vectors, vector;                  // the register tile's vectors of output channels, floats per vector
  int group;                            // tiles per register tile
  int tiles_x, tiles_y, rounded_tiles;  // rounded_tiles: tiles_x rounded up to whole groups
  int band, blocks, bands;              // tile rows per band; blocks of output channels; bands per image
  bool channel_threads;                 // the blocks share the threads, not the bands
};

/// Each layer's report, from the figures its schedule was chosen by.
LayerSchedule report_direct(const DirectChoice &choice);
LayerSchedule report_winograd(const WinogradChoice &choice);
LayerSchedule report_linear(int tile, std::int64_t features, std::int64_t inputs, bool per_image_threads);

/// The report as text: one block per layer, its line in `source` and its shapes from `network`.
void print_schedule_report(const ScheduleReport &report, const Network &network, const SourceFile &source,
                           std::ostream &out);

}  // namespace cnngen
