// The CPU schedule of the stages stored whole: pooling, unfolded batch norm, activations and adds
// that no head fuses, concatenations, softmax, the output; see cpu_steps.hpp.
#include <type_traits>

#include "codegen/cpu_steps.hpp"
#include "codegen/schedule_common.hpp"

namespace cnngen {

using Halide::Func;
using Halide::RVar;
using Halide::TailStrategy;
using Halide::Var;
using Halide::VarOrRVar;

Var schedule_generic(Func func, int innermost_extent, const CpuContext &context) {
  std::vector<Var> args = func.args();
  Var inner = args.front();
  Var fused(func.name() + "_cn");
  bool vectorize = innermost_extent >= context.vector;
  func.compute_root();
  auto place = [&](auto &&stage, std::vector<VarOrRVar> order) {
    stage.reorder(order);
    if (args.size() == 4) {
      stage.fuse(args[2], args[3], fused);
      context.per_image_threads ? stage.parallel(fused, 16, TailStrategy::GuardWithIf) : stage.parallel(fused);
    } else {
      stage.parallel(args.back());
    }
    if (vectorize) stage.vectorize(inner, context.vector, TailStrategy::GuardWithIf);
  };
  place(func, std::vector<VarOrRVar>(args.begin(), args.end()));
  for (int i = 0; i < func.num_update_definitions(); ++i) {
    // Keep the vectorized dimension innermost, then the reduction, then the other dimensions.
    std::vector<VarOrRVar> order{inner};
    for (const RVar &r : rvars(func, i)) order.emplace_back(r);
    for (std::size_t a = 1; a < args.size(); ++a) order.emplace_back(args[a]);
    place(func.update(i), order);
  }
  return args.size() == 4 ? fused : args.back();
}

void schedule_channels_innermost(Func func, int channels, const CpuContext &context,
                                 const std::optional<Var> &rows, bool is_output) {
  Var x = func.args()[0], y = func.args()[1], c = func.args()[2], n = func.args()[3];
  if (rows) func.compute_root();
  if (!is_output) func.reorder_storage(c, x, y, n);
  // At least a vector of channels: whole vectors, the last guarded where they are ragged (72).
  int width = channels >= context.vector ? context.vector : channels >= 4 ? 4 : 1;
  auto place = [&](auto &&stage, std::vector<VarOrRVar> order) {
    stage.reorder(order);
    if (width > 1) stage.vectorize(c, width, TailStrategy::GuardWithIf);
    if (rows && context.per_image_threads) stage.parallel(n);
    else if (rows) stage.fuse(y, n, *rows).parallel(*rows);
  };
  place(func, {c, x, y, n});
  for (int i = 0; i < func.num_update_definitions(); ++i) {
    std::vector<VarOrRVar> order{c};
    for (const RVar &r : rvars(func, i)) order.emplace_back(r);
    for (Var v : {x, y, n}) order.emplace_back(v);
    place(func.update(i), order);
  }
}

void schedule_transposed_output(Func output, Func values, int width, const CpuContext &context) {
  // Vector loads along the channels into a block on the stack, vector stores along the rows out of
  // it (Halide's block-transpose idiom); reading each channel as a gather along the row instead
  // passes over the whole tensor once per channel.
  Var x = output.args()[0], y = output.args()[1], c = output.args()[2], n = output.args()[3];
  Var xo("xo"), xi("xi"), co("co"), ci("ci"), yn("yn");
  output.compute_root()
      .tile(x, c, xo, co, xi, ci, std::min(width, context.vector), context.vector)
      .reorder(xi, ci, xo, co, y, n)
      .vectorize(xi)
      .unroll(ci);
  context.per_image_threads ? output.parallel(n) : output.fuse(y, n, yn).parallel(yn);
  std::vector<Var> args = values.args();
  values.compute_at(output, xo).vectorize(args[2]).unroll(args[0]);
}

namespace {

/// A concatenation lowered as one update per input (lower_concat with slices), stored whole with
/// the channels innermost: the updates in `written` are its inputs' heads' tiles (Slice); every
/// other update copies its input into its slice, row by row in parallel, vectorized across the
/// slice's channels.
void schedule_concat(Func concat, const Shape &shape, const CpuContext &context, const std::vector<bool> &written) {
  std::vector<Var> args = concat.args();
  concat.compute_root();
  bound_to_shape(concat, shape);
  if (shape.size() == 3) concat.reorder_storage(args[2], args[0], args[1], args[3]);
  for (int j = 0; j < concat.num_update_definitions(); ++j) {
    if (written[static_cast<std::size_t>(j)]) continue;
    Halide::Stage copy = concat.update(j);
    RVar r = rvars(concat, j)[0];
    if (shape.size() == 3) {
      copy.reorder(r, args[0], args[1], args[3]);
      Var rows(concat.name() + "_yn" + std::to_string(j));
      if (context.per_image_threads) copy.parallel(args[3]);
      else copy.fuse(args[1], args[3], rows).parallel(rows);
    } else {
      copy.reorder(r, args.back()).parallel(args.back());
    }
    copy.vectorize(r, context.vector, TailStrategy::GuardWithIf);
  }
}

/// A value per pixel (x, y, n) of a C×H×W layer (layer norm's and softmax's statistics over the
/// channels), or per image: computed once before the layer, rows of all images in parallel,
/// vectorized along the rows.
void schedule_per_pixel(Func internal, const Shape &shape, const CpuContext &context) {
  std::vector<Var> args = internal.args();
  internal.compute_root();
  // Its definition, then each update (softmax's running maximum) with the reduction inside the
  // row's vector.
  auto place = [&](auto &&stage) {
    if (args.size() == 3) {  // (x, y, n): rows of all images in parallel
      Var rows(internal.name() + "_yn");
      stage.fuse(args[1], args[2], rows).parallel(rows);
    } else if (args.size() > 1) {
      stage.parallel(args.back());
    }
    if (args.size() > 1 && shape.back() >= context.vector)
      stage.vectorize(args.front(), context.vector, TailStrategy::GuardWithIf);
  };
  place(internal);
  for (int i = 0; i < internal.num_update_definitions(); ++i) {
    std::vector<VarOrRVar> order{args.front()};
    for (const RVar &r : rvars(internal, i)) order.emplace_back(r);
    for (std::size_t a = 1; a < args.size(); ++a) order.emplace_back(args[a]);
    internal.update(i).reorder(order);
    place(internal.update(i));
  }
}

}  // namespace

void schedule_stored(LoweredLayer &layer, const Shape &shape, const CpuContext &context,
                     const std::vector<bool> &written, const std::optional<Var> &rows) {
  auto store = [&](const auto &op) {
    using Op = std::decay_t<decltype(op)>;
    if constexpr (std::is_same_v<Op, LayerNorm>) {
      // A layer norm's mean and 1/σ per pixel: computed once, over all the channels, before the
      // layer (inside the channels' loop they were recomputed once per channel: O(C²) a pixel).
      bound_to_shape(layer.func, shape);
      for (Func internal : layer.internals()) schedule_per_pixel(internal, shape, context);
      if (shape.size() == 3 && shape[0] >= context.vector) {
        schedule_channels_innermost(layer.func, static_cast<int>(shape[0]), context, Var(layer.func.name() + "_yn"));
      } else {
        schedule_generic(layer.func, static_cast<int>(shape.back()), context);
      }
      return;
    }
    if constexpr (std::is_same_v<Op, Softmax>) {
      const Var loop = schedule_generic(layer.func, static_cast<int>(shape.back()), context);
      if (shape.size() == 3) {
        const SoftmaxStages &stages = std::get<SoftmaxStages>(layer.stages);
        // Over the channels of a C×H×W tensor: each pixel's largest value and sum of exponentials
        // computed once, before the layer, as a layer norm's statistics (in the generic
        // schedule's loop over channels they were recomputed for every channel: O(C²) a pixel,
        // an FCN head's 21 classes at 112×112 13.7 ms where its convolution takes 0.27). The
        // exponentials stay inline: each is computed twice, for the sum and for the output.
        schedule_per_pixel(stages.max, shape, context);
        schedule_per_pixel(stages.sum, shape, context);
      } else {
        // Over the features of a vector: once per image, inside the loop over images.
        for (Func internal : layer.internals()) internal.compute_at(layer.func, loop);
      }
      return;
    }
    if constexpr (std::is_same_v<std::decay_t<decltype(op)>, Concat>) {
      if (layer.func.num_update_definitions() > 0) {
        schedule_concat(layer.func, shape, context, written);
        return;
      }
    }
    // Constant bounds: the region of a stage then never depends on its readers' symbolic ones, which
    // otherwise nest through every stage of a deep network and multiply its compile time.
    bound_to_shape(layer.func, shape);
    // Channels-innermost where a direct convolution may have stored its input so (at least a vector
    // of channels: codegen/cpu_choices.hpp, computes_vectorized).
    if (shape.size() == 3 && shape[0] >= context.vector) {
      schedule_channels_innermost(layer.func, static_cast<int>(shape[0]), context,
                                  rows ? *rows : Var(layer.func.name() + "_yn"));
    } else {
      schedule_generic(layer.func, static_cast<int>(shape.back()), context);
    }
  };
  visit_operation(layer.node->op, RootStage{"CPU", *layer.node, store});
}

}  // namespace cnngen
