// CPU schedule; see schedule.hpp.
#include "codegen/schedule.hpp"

namespace cnngen {
namespace {

using Halide::TailStrategy;
using Halide::Var;
using Halide::VarOrRVar;

/// Parallel over images (and channels, for images), vectorized along the innermost dimension when
/// it is at least one vector wide. The same for the pure definition and every update.
void schedule_stage(Halide::Func func, int innermost_extent, int vector_width) {
  std::vector<Var> args = func.args();
  Var inner = args.front();
  Var outer = args.back();
  bool vectorize = innermost_extent >= vector_width;
  func.compute_root();
  auto place = [&](auto &&stage, std::vector<VarOrRVar> order) {
    stage.reorder(order);
    if (args.size() == 4) {
      Var fused(func.name() + "_cn");
      stage.fuse(args[2], args[3], fused).parallel(fused);
    } else {
      stage.parallel(outer);
    }
    if (vectorize) stage.vectorize(inner, vector_width, TailStrategy::GuardWithIf);
  };
  place(func, std::vector<VarOrRVar>(args.begin(), args.end()));
  for (int i = 0; i < func.num_update_definitions(); ++i) {
    Halide::Stage update = func.update(i);
    // Keep the vectorized dimension innermost, then the reduction, then the other dimensions.
    std::vector<VarOrRVar> order{inner};
    for (const auto &r : func.function().update(i).schedule().rvars()) {
      order.emplace_back(Halide::RVar(r.var));
    }
    for (std::size_t a = 1; a < args.size(); ++a) order.emplace_back(args[a]);
    place(update, order);
  }
}

}  // namespace

void schedule_cpu(LoweredNetwork &lowered, const Network &network, const Halide::Target &target) {
  int vector_width = target.natural_vector_size(Halide::Float(32));
  for (LoweredLayer &layer : lowered.layers) {
    if (!layer.func.defined() || std::holds_alternative<Flatten>(layer.node->op)) continue;
    const Shape &shape = network.tensors[static_cast<std::size_t>(layer.node->output)].shape;
    schedule_stage(layer.func, static_cast<int>(shape.back()), vector_width);
    for (Halide::Func &internal : layer.internals) {
      Var outer = layer.func.args().back();
      internal.compute_at(layer.func, shape.size() == 3 ? Var(layer.func.name() + "_cn") : outer);
    }
  }
  const Shape &out_shape = network.tensors[static_cast<std::size_t>(network.output)].shape;
  schedule_stage(lowered.output, static_cast<int>(out_shape.back()), vector_width);
}

}  // namespace cnngen
