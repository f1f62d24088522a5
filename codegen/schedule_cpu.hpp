// The CPU schedule of a lowered network: for each convolution and linear layer a choice
// (cpu_choices.hpp), applied (cpu_steps.hpp) and reported (schedule_report.hpp). Algorithm and
// schedule stay apart: it only places, orders, vectorizes and parallelizes the Funcs that lower()
// defined.
#pragma once

#include <Halide.h>

#include "codegen/lower.hpp"
#include "codegen/schedule_report.hpp"

namespace cnngen {

/// Follows the plan lower() followed (lowered.plan, plan.hpp): each convolution or linear layer is
/// computed tile by tile inside the last stage of its fused chain, every other stage in full before
/// its readers (compute_root), its images and channels spread over threads and its innermost
/// dimension vectorized with the target's natural width. Reductions keep the vectorized dimension innermost
/// so each step is a vector multiply-add. When `network` is a part of a network (parts.hpp),
/// `whole` is that network: its size, not the part's, decides whether images or rows share the
/// threads, as it decided the batch-vectorized copy (batch_vector_width). With `report`, appends
/// what each convolution and linear layer got to report->layers (schedule_report.hpp).
void schedule_cpu(LoweredNetwork &lowered, const Network &network, const Halide::Target &target,
                  const Network *whole = nullptr, ScheduleReport *report = nullptr);

}  // namespace cnngen
