// The CPU schedule of a linear layer, as a LinearChoice says; see cpu_steps.hpp.
#include "codegen/cpu_steps.hpp"
#include "codegen/schedule_common.hpp"

namespace cnngen {

using Halide::Func;
using Halide::RVar;
using Halide::TailStrategy;
using Halide::Var;

/// A linear layer (and its fused activation `stored`): tiles of output features, each computed for
/// the whole batch with the features vectorized, so that every weight is read from memory once per
/// call whatever the batch size. Weights are packed output-innermost.
void apply_linear(const LinearChoice &choice, const LoweredLayer &layer, Func stored) {
  Func linear = layer.func;
  Var f = linear.args()[0], n = linear.args()[1];
  Var fo("fo"), fi("fi");
  // The last tile is shifted back to end at the last feature (it recomputes a few). Not
  // GuardWithIf: with a constant feature count Halide 14 dropped the guard of the vectorized tail
  // (a tile's last vector wrote into the next image's row: a race between threads and a heap
  // overflow, found on AVX2).
  bound_to_shape(stored, {choice.features});
  stored.compute_root()
      .split(stored.args()[0], fo, fi, choice.tile, TailStrategy::ShiftInwards)
      .reorder(fi, stored.args()[1], fo);
  Var tiles = fo;
  if (choice.per_image_threads) {
    // Small layers and batches (larger ones take the batched copy): whole images per thread;
    // waking a second thread for part of a small layer costs more than it saves.
    tiles = stored.args()[1];
    stored.reorder(fi, fo, stored.args()[1]);
  }
  stored.parallel(tiles);
  if (choice.width > 1) stored.vectorize(fi, choice.width);
  linear.compute_at(stored, tiles);
  RVar r = rvars(linear, 0)[0];
  linear.update().reorder(f, n, r);
  if (choice.width > 1) {
    linear.vectorize(f, choice.width, TailStrategy::GuardWithIf);
    linear.update().vectorize(f, choice.width, TailStrategy::GuardWithIf).unroll(f);
  }
  if (!layer.weights_embedded) {
    Func weight = layer.linear().weights.weight;  // (in, out) in PyTorch's layout: repack out-innermost
    Var wi = weight.args()[0], wo = weight.args()[1];
    weight.compute_root().reorder_storage(wo, wi).vectorize(wo, choice.width).parallel(wi);
  }
}

}  // namespace cnngen
