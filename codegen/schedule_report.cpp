// `cnngen schedule`'s reports and their text; see schedule_report.hpp.
#include "codegen/schedule_report.hpp"

#include <iomanip>

#include "codegen/cache_budgets.hpp"
#include "dsl/overloaded.hpp"
#include "dsl/summary.hpp"

namespace cnngen {
namespace {

/// "1 band", "7 bands".
std::string counted(std::int64_t count, const std::string &noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

/// What the threads share in a network too small to share one image among them (is_small_network).
const char *const kWholeImages = "whole images (a network too small to share one image among threads)";

/// The working set of each loop level of a direct convolution, from the figures its schedule
/// was chosen by (input_channel_chunk, weight_blocks_outer, padded_rows_in_l2).
LayerSchedule report_direct(const DirectChoice &c) {
  const std::int64_t taps = c.op.kernel.h * c.op.kernel.w;
  const std::int64_t channel_tile = c.channels, width = c.shape[2];
  const std::int64_t block_weights = conv_weight_bytes(c.op, c.in_shape[0], channel_tile);
  const std::int64_t all_weights = conv_weight_bytes(c.op, c.in_shape[0], c.shape[0]);
  const std::int64_t row_tiles = ceil_div<std::int64_t>(c.shape[1], c.block_rows);
  const std::int64_t blocks = ceil_div<std::int64_t>(c.shape[0], channel_tile);  // the last shifted inwards
  const int vectors = c.channels / c.vector;
  LayerSchedule report;
  report.how = "direct, register tile of " + counted(vectors, "vector") + " × " + counted(c.columns, "column") +
               " × " + counted(c.rows, "row") + " (" + counted(vectors * c.columns * c.rows, "sum") +
               ")";
  if (c.chunk) report.how += ", input channels summed in slices of " + std::to_string(c.chunk);
  if (c.padded != DirectChoice::Padded::none && c.padded_channels != c.in_shape[0]) {
    report.how += ", padded input stored " + std::to_string(c.padded_channels) +
                  " channels a pixel (an odd number of cache lines)";
  }
  if (c.padded == DirectChoice::Padded::whole) report.how += ", padded input copied whole first";
  if (c.padded == DirectChoice::Padded::per_task) report.how += ", padded rows copied inside each task";
  if (c.padded == DirectChoice::Padded::per_strip_row) report.how += ", padded rows copied as each row tile reads them";
  const std::string block_text = counted(blocks, "block") + " of " + std::to_string(channel_tile) + " output channels";
  const std::string band_text = counted(row_tiles, "band") + " of " + counted(c.block_rows, "row");
  const std::int64_t strips = c.strip_rows ? ceil_div<std::int64_t>(c.shape[1], c.strip_rows) : 0;
  if (c.pooled) {
    report.tasks = "the pooling's rows: computed row by row inside the pooling that reads it";
  } else if (c.in_strips) {
    report.tasks = "the depthwise convolution's strips: in each, the rows each row tile reads first";
  } else if (c.strip_rows) {
    report.tasks = counted(strips, "strip") + " of " + counted(c.strip_rows, "row") +
                   " per image, the row tiles of each in order, its expansion computed inside";
  } else if (c.sliced) {
    report.tasks = "written tile by tile into its concatenation's channel slice";
  } else if (c.per_image_threads) {
    report.tasks = kWholeImages;
  } else if (c.task_blocks > 1) {
    report.tasks = block_text + " in " + counted(blocks / c.task_blocks, "group") + " of " +
                   std::to_string(c.task_blocks) + " × " + band_text + " per image (a task: a group's blocks for one band)";
  } else if (c.blocks_outer) {
    report.tasks = block_text + " × " + band_text + " per image";
  } else {
    report.tasks = band_text + " per image" + (blocks > 1 ? ", each through all " + block_text : "");
  }
  if (c.chunk) {
    report.sets.push_back({"L1", "a slice's weights (" + std::to_string(c.chunk) + " input channels × " +
                                     counted(taps, "tap") + " × " + std::to_string(channel_tile) +
                                     " outputs), read by every tile of the rows",
                           4 * c.chunk * taps * channel_tile, kHalfL1});
    report.sets.push_back({"L1", "the partial sums of the block's " + counted(c.block_rows, "row"),
                           4 * channel_tile * width * c.block_rows, kHalfL1});
  } else if (block_weights <= kL1) {
    report.sets.push_back({"L1", "the block's weights, read by every tile", block_weights, kL1});
  }
  const bool per_task = c.padded == DirectChoice::Padded::per_task;
  if (c.task_blocks > 1) {
    report.sets.push_back({"L2", "the group's weights (" + counted(c.task_blocks, "block") + "), read by each of its row bands",
                           c.task_blocks * block_weights, kQuarterL2});
    report.sets.push_back({"L2", "the band's input rows, read by each block of the group",
                           band_input_bytes(c.op, c.in_shape, c.block_rows, c.padded_channels), kHalfL2});
    report.sets.push_back({"L3", "the image's input, read once per group", 4 * element_count(c.in_shape), 0});
  } else if (c.blocks_outer) {
    if (row_tiles > 1) {
      report.sets.push_back({"L2", "the block's weights, read by each of its row bands", block_weights, kHalfL2});
    } else {
      report.sets.push_back({"L3", "the block's weights, read once per image", block_weights, 0});
    }
    report.sets.push_back({"L3", "the image's input, read once per block", 4 * element_count(c.in_shape), 0});
  } else if (c.strip_rows) {
    report.sets.push_back({"L2", "the expanded rows a row tile reads (a sliding window in its strip)",
                           band_input_bytes(c.op, c.in_shape, c.block_rows, c.padded_channels), kHalfL2});
  } else if (!c.pooled && !c.sliced && !c.in_strips) {
    if (!c.chunk && block_weights > kL1) {
      report.sets.push_back({"L2", "the block's weights, read by every tile of a band", block_weights, kHalfL2});
    }
    const bool copied_per_band = per_task && !c.per_image_threads;
    report.sets.push_back({"L2",
                           std::string(copied_per_band ? "the band's padded input rows, copied in its task"
                                                       : "the band's input rows") +
                               (blocks > 1 ? ", read by every block" : ""),
                           band_input_bytes(c.op, c.in_shape, c.block_rows, c.padded_channels), kHalfL2});
    if (blocks > 1) {
      report.sets.push_back({all_weights <= kHalfL2 ? "L2" : "L3", "all the weights, read once per band",
                             all_weights, all_weights <= kHalfL2 ? kHalfL2 : 0});
    }
  }
  if (per_task && c.per_image_threads) {
    report.sets.push_back({"L2", "the image's padded input, copied in its task",
                           band_input_bytes(c.op, c.in_shape, static_cast<int>(c.shape[1]), c.padded_channels), kHalfL2});
  }
  return report;
}

LayerSchedule report_winograd(const WinogradChoice &c) {
  const std::int64_t channel_tile = c.vectors * c.vector;
  const std::int64_t inputs = c.in_shape[0], kernel = c.points - c.tile + 1, square = c.points * c.points;
  LayerSchedule report;
  report.how = "Winograd F(" + std::to_string(c.tile) + "×" + std::to_string(c.tile) + ", " + std::to_string(kernel) +
               "×" + std::to_string(kernel) + "), register tile of " + counted(c.vectors, "vector") + " × " +
               counted(c.group, "tile") + " (" + counted(c.vectors * c.group, "sum") + "), " +
               std::to_string(c.tiles_x) + " × " + std::to_string(c.tiles_y) + " tiles of " + std::to_string(c.tile) +
               "×" + std::to_string(c.tile) + " outputs";
  const std::string block_text = counted(c.blocks, "block") + " of " + std::to_string(channel_tile) + " output channels";
  const std::string band_text = counted(c.bands, "band") + " of " + counted(c.band, "tile row");
  report.tasks = c.channel_threads ? block_text + (c.bands > 1 ? ", in each of " + band_text + " per image" : "") +
                                         " (each band's V computed first, in parallel over its tile rows)"
                                   : band_text + " per image" + (c.blocks > 1 ? ", each through all " + block_text : "");
  const std::int64_t band_tiles = static_cast<std::int64_t>(c.tiles_x) * c.band;
  report.sets = {
      {"L2", "one product's transformed weights for the block, read by every tile of the band",
       4 * inputs * channel_tile, kHalfL2},
      {"L2", "the band's staged products for the block (" + std::to_string(square) + " products)",
       4 * square * channel_tile * c.rounded_tiles * c.band, 0},
      {"L2", "V of the band (" + std::to_string(square) + " products × " + std::to_string(band_tiles) +
                 " tiles × all input channels), read by every block",
       4 * square * inputs * band_tiles, kL2},
      {"L3", "all transformed weights, read once per band", 4 * square * inputs * c.shape[0], 0}};
  return report;
}

LayerSchedule report_linear(const LinearChoice &c) {
  LayerSchedule report;
  report.how = "tiles of " + std::to_string(c.tile) + " output features, each computed for the whole batch";
  report.tasks = c.per_image_threads ? kWholeImages
                                     : counted(ceil_div<std::int64_t>(c.features, c.tile), "tile") + " of features";
  report.sets = {{"L3", "all the weights, read once per call whatever the batch", 4 * c.inputs * c.features, 0}};
  return report;
}

/// What the threads share in the generic schedule and the one across columns.
LayerSchedule report_plain(const char *how, bool per_image_threads) {
  LayerSchedule report;
  report.how = how;
  report.tasks = per_image_threads ? "whole images" : "channels × images";
  return report;
}

}  // namespace

LayerSchedule report_head(const HeadChoice &choice, std::size_t node) {
  LayerSchedule report = std::visit(
      Overloaded{
          [](const DirectChoice &c) { return report_direct(c); },
          [](const WinogradChoice &c) { return report_winograd(c); },
          [](const LinearChoice &c) { return report_linear(c); },
          [](const ColumnsChoice &c) {
            return report_plain("direct, vectorized across columns, 4 rows of sums at a time", c.per_image_threads);
          },
          [](const GenericChoice &c) {
            return report_plain("the generic schedule: vectorized along its rows", c.per_image_threads);
          },
      },
      choice);
  report.node = node;
  return report;
}

void print_schedule_report(const ScheduleReport &report, const Network &network, const SourceFile &source,
                           std::ostream &out) {
  out << "model " << network.name << ", target " << report.target << " (" << report.vector
      << "-float vectors)\n"
      << "budgets: L1 32 KiB (a slice's weights and the sums it adds to, 16 KiB each), L2 1 MiB (512 KiB\n"
      << "for what stays there between two uses); L3: what streams from L3 or memory; per image\n";
  if (!report.weights_embedded) {
    out << "weights passed at run time: every convolution direct (Winograd transforms embedded weights:\n"
        << "--weights)\n";
  }
  if (report.batch_vector > 0) {
    out << "from " << report.batch_vector << " images a batch-vectorized copy of the network runs instead "
        << "(codegen/schedule_batched.hpp); below, the per-image copy\n";
  }
  for (const LayerSchedule &layer : report.layers) {
    const Node &node = network.nodes[layer.node];
    const Shape &in = network.tensors[static_cast<std::size_t>(node.inputs[0])].shape;
    const Shape &shape = network.tensors[static_cast<std::size_t>(node.output)].shape;
    out << "\n" << describe(node) << " at " << source.name() << ":" << source.location(node.range.begin).line
        << ": " << describe(in) << " → " << describe(shape) << "\n"
        << "  how    " << layer.how << "\n"
        << "  tasks  " << layer.tasks << "\n";
    for (const WorkingSet &set : layer.sets) {
      std::string size = format_bytes(set.bytes);
      if (set.budget > 0) size += " of " + format_bytes(set.budget);
      out << "  " << std::left << std::setw(5) << set.level << std::right << std::setw(22) << size << "  "
          << set.what << (set.budget > 0 && set.bytes > set.budget ? " (over its budget)" : "") << "\n";
    }
  }
}

}  // namespace cnngen
