// The cost model of a checked network: what each layer reads and computes (its parameters,
// multiply-adds, output bytes and receptive field) and the peak working memory of an inference.
// `cnngen summary` prints it (summary.hpp); the schedules and the generated C++ header read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dsl/network.hpp"

namespace cnngen {

struct LayerCost {
  std::int64_t parameters = 0;         // state_dict entries read (batch norm: 2C or 4C)
  std::int64_t macs = 0;               // multiply-accumulates per image (conv2d, linear)
  std::int64_t output_bytes = 0;       // float32, per image
  /// "5×5" on the input, the largest over every path from the input, or "all" after flatten
  std::string receptive_field;
};

/// One entry per node, in order.
std::vector<LayerCost> layer_costs(const Network &network);

/// Where the working memory of one inference peaks.
struct WorkingMemory {
  std::int64_t bytes = 0;
  const Node *node = nullptr;  // the node being evaluated; nullptr if the network has none
  int tensors = 0;             // tensors alive then, the node's inputs and output included
  int kept = 0;                // of those, tensors that are not the node's inputs or output
};

/// The peak working memory of one inference at `batch` images, node by node in the network's
/// order: a tensor lives from its producer until its last reader (the output to the end), so
/// tensors a later join reads count while the branches before it run.
WorkingMemory peak_working_memory(const Network &network, std::int64_t batch);

/// peak_working_memory(network, batch).bytes; `layer` receives the node where it occurs, if any.
std::int64_t peak_working_bytes(const Network &network, std::int64_t batch,
                                const Node **layer = nullptr);

}  // namespace cnngen
