// `cnngen summary`: a table of a checked network's layers with their shapes and costs — the
// questions D2L's exercises ask (a convolution's multiply-adds, the memory it takes, what doubling
// the channels or the padding does), answered for a whole model.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "dsl/network.hpp"

namespace cnngen {

struct LayerCost {
  std::int64_t parameters = 0;
  std::int64_t macs = 0;               // multiply-accumulates per image (conv2d, linear)
  std::int64_t output_bytes = 0;       // float32, per image
  std::string receptive_field;         // "5×5" on the input, or "all" after flatten
};

/// One entry per node, in order.
std::vector<LayerCost> layer_costs(const Network &network);

/// The peak working memory of one inference at `batch` images, counted as the largest input plus
/// output of any one layer (what a layer-at-a-time evaluation holds at once); `layer` receives
/// the node where it occurs, if any.
std::int64_t peak_working_bytes(const Network &network, std::int64_t batch,
                                const Node **layer = nullptr);

/// Writes the summary table for `batch` images, the totals (including the peak working memory of
/// one inference, counted as the largest input plus output of any one layer) and, for each
/// convolution and pooling layer, D2L's formula with its numbers.
void print_summary(const Network &network, std::int64_t batch, std::ostream &out);

}  // namespace cnngen
