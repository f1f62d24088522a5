// The GPU schedule (CUDA, or any Halide GPU API such as OpenCL) of a lowered network. Halide 14's
// autoschedulers plan for the CPU even for GPU targets, so cnngen writes its own: one kernel per
// layer, a convolution or linear layer fused with the element-wise chain the plan gives it
// (plan.hpp: batch norm, activations, a residual add).
#pragma once

#include <Halide.h>

#include "codegen/lower.hpp"

namespace cnngen {

/// Schedules every stage of `lowered` on the GPU of `target` (which must have a GPU feature):
/// - a convolution with a multiple of 32 output channels: blocks of one warp, a lane per output
///   channel, each lane summing a tile of up to 4×4 pixels in registers; the input channels are
///   consumed in chunks, each chunk of the input window and of the weights staged in shared
///   memory by the whole warp;
/// - other convolutions: a thread per pixel summing all its output channels in registers, the
///   block's input window staged in shared memory when it fits;
/// - a linear layer: a thread per output feature, summing up to 8 images in registers, so that
///   each weight is read once per 8 images, with coalesced reads of weights packed
///   output-innermost;
/// - pooling, padding, softmax and the rest: a thread per element.
/// Tensors with a multiple of 32 channels are stored channels-innermost so that a warp's reads
/// and writes are contiguous.
void schedule_gpu(LoweredNetwork &lowered, const Network &network, const Halide::Target &target);

}  // namespace cnngen
