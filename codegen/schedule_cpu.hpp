// The CPU schedule of a lowered network. Algorithm and schedule stay apart: this file only places,
// orders, vectorizes and parallelizes the Funcs that lower() defined.
#pragma once

#include <Halide.h>

#include "codegen/lower.hpp"

namespace cnngen {

/// Follows plan_schedule() (plan.hpp): each convolution or linear layer is computed tile by tile
/// inside the last stage of its fused chain, every other stage in full before its readers
/// (compute_root), its images and channels spread over threads and its innermost dimension
/// vectorized with the target's natural width. Reductions keep the vectorized dimension innermost
/// so each step is a vector multiply-add.
void schedule_cpu(LoweredNetwork &lowered, const Network &network, const Halide::Target &target);

}  // namespace cnngen
