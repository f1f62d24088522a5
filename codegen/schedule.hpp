// The CPU schedule of a lowered network. Algorithm and schedule stay apart: this file only places,
// orders, vectorizes and parallelizes the Funcs that lower() defined.
#pragma once

#include <Halide.h>

#include "codegen/lower.hpp"

namespace cnngen {

/// Every layer is computed in full before the next (compute_root), its images and channels spread
/// over threads and its innermost dimension vectorized with the target's natural width. Reductions
/// keep the vectorized dimension innermost so each step is a vector multiply-add.
void schedule_cpu(LoweredNetwork &lowered, const Network &network, const Halide::Target &target);

}  // namespace cnngen
