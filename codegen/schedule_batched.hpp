// The batch-vectorized CPU schedule: for networks whose layers have too few channels to fill a
// vector (LeNet: 1, 6 and 16), each vector holds one value of several images. The network's second
// copy (LoweredNetwork::batched_layers) runs block by block of `batch_vector` images, every tensor
// stored with the image innermost, and the output is specialized to use it when the batch holds
// at least one block; smaller batches take the copy that schedule_cpu schedules.
#pragma once

#include <Halide.h>

#include "codegen/lower.hpp"

namespace cnngen {

/// The images per vector when `network` gains from a batch-vectorized copy on `target`, else 0.
int batch_vector_width(const Network &network, const Halide::Target &target);

/// Specializes lowered.output on lowered.batched_condition and schedules the batched copy inside
/// that specialization. Call before the output's own schedule is set.
void schedule_batched(LoweredNetwork &lowered, const Network &network);

}  // namespace cnngen
