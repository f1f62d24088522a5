// The CPU schedule's walk over the network; see schedule_cpu.hpp. For each stage the plan gives a
// role (plan.hpp): a head's schedule is chosen (cpu_choices.hpp), applied (cpu_steps.hpp) and,
// for `cnngen schedule`, reported (schedule_report.hpp); a stage stored whole gets the schedule of
// its kind. A convolution or linear layer fuses the element-wise chain the plan gives it (batch
// norm, activations, a residual add): it is computed tile by tile inside the loops of the chain's
// last stage and never stored whole. A convolution chain that only a concatenation reads is
// computed tile by tile inside the concatenation's update for that input, straight into the
// input's channel slice (Slice).
#include "codegen/schedule_cpu.hpp"

#include <map>

#include "codegen/cpu_choices.hpp"
#include "codegen/cpu_steps.hpp"
#include "codegen/plan.hpp"
#include "codegen/schedule_batched.hpp"
#include "codegen/schedule_common.hpp"
#include "codegen/schedule_report.hpp"
#include "dsl/overloaded.hpp"

namespace cnngen {
namespace {

using Halide::Func;
using Halide::Var;

const Shape &output_shape(const Network &network, const Node &node) {
  return network.tensors[static_cast<std::size_t>(node.output)].shape;
}

/// The Winograd weights of a convolution lowering took that path for, else nothing.
const WinogradWeights *winograd_of(const LoweredLayer &layer) {
  const auto *conv = std::get_if<ConvStages>(&layer.stages);
  return conv && conv->weights.winograd ? &*conv->weights.winograd : nullptr;
}

int winograd_tile_of(const LoweredLayer &layer) {
  const WinogradWeights *winograd = winograd_of(layer);
  return winograd ? winograd->tile : 0;
}

/// The heads (by index) whose tiles the CPU schedule writes straight into a concatenation's slice:
/// those the plan offers (NodePlan::concat), lowered in slices, that the schedule computes as
/// direct vectorized convolutions and whose exact tiles are large enough (writes_into_slice).
std::map<std::size_t, Slice> choose_slices(const Network &network, const std::vector<LoweredLayer> &layers,
                                           const SchedulePlan &plan, const CpuContext &context) {
  std::map<std::size_t, Slice> slices;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const NodePlan &entry = plan[i];
    if (entry.role != NodePlan::Role::head || entry.concat < 0) continue;
    const LoweredLayer &concat = layers[static_cast<std::size_t>(entry.concat)];
    const Shape &shape = output_shape(network, *layers[i].node);
    if (concat.func.num_update_definitions() == 0 ||
        !computes_vectorized(layers[i].node->op, winograd_tile_of(layers[i]), shape, context))
      continue;
    // A slice's channels are its update's reduction variable, whose last block cannot shift inwards.
    if (shape[0] % context.vector != 0 || !writes_into_slice(shape, context)) continue;
    slices[i] = Slice{concat.func, entry.concat_input};
  }
  return slices;
}

/// The pooling (by index) that each head computed inside its rows reads, with the Var of the
/// pooling's parallel rows, made here once for the pooling's schedule and the head's.
std::map<std::size_t, Var> pooling_rows(const std::vector<LoweredLayer> &layers, const SchedulePlan &plan,
                                        const CpuContext &context) {
  std::map<std::size_t, Var> rows;
  if (context.per_image_threads) return rows;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const int pool = plan[i].pool;
    if (plan[i].role != NodePlan::Role::head || pool < 0) continue;
    const Func &func = layers[static_cast<std::size_t>(pool)].func;
    rows.emplace(static_cast<std::size_t>(pool), Var(func.name() + "_yn"));
  }
  return rows;
}

/// The Func that stores head `i`'s tiles where no concatenation's slice does: its chain's tail, or a
/// wrapper of itself (every reader reads the stored copy).
Func stored_by(std::vector<LoweredLayer> &layers, const SchedulePlan &plan, std::size_t i) {
  return plan.fuses(i) ? layers[static_cast<std::size_t>(plan[i].tail)].func : layers[i].func.in();
}

/// The depthwise convolutions (by index) computed in row strips with their expansion inside
/// (plan.hpp, strip_reader), each with its output rows per strip: where both are direct vectorized
/// convolutions computed in their own loops (not into a slice, not inside a pooling) and
/// depthwise_strip_rows finds strips.
std::map<std::size_t, int> choose_strips(const Network &network, const std::vector<LoweredLayer> &layers,
                                         const SchedulePlan &plan, const std::map<std::size_t, Slice> &slices,
                                         const CpuContext &context) {
  std::map<std::size_t, int> strips;
  auto own_loops = [&](std::size_t i) {
    const Shape &shape = output_shape(network, *layers[i].node);
    return plan[i].role == NodePlan::Role::head && !slices.count(i) && plan[i].pool < 0 &&
           computes_vectorized(layers[i].node->op, winograd_tile_of(layers[i]), shape, context);
  };
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (plan[i].role != NodePlan::Role::head || plan[i].strip_reader < 0) continue;
    const auto d = static_cast<std::size_t>(plan[i].strip_reader);
    if (!own_loops(i) || !own_loops(d)) continue;
    const Node &depthwise = *layers[d].node;
    const int rows = depthwise_strip_rows(std::get<Conv2d>(depthwise.op), output_shape(network, *layers[i].node),
                                          output_shape(network, depthwise), context);
    if (rows > 0) strips[d] = rows;
  }
  return strips;
}

}  // namespace

void schedule_cpu(LoweredNetwork &lowered, const Network &network, const Halide::Target &target,
                  const Network *whole, ScheduleReport *report) {
  CpuContext context;
  context.vector = target.natural_vector_size(Halide::Float(32));
  context.per_image_threads = is_small_network(whole ? *whole : network);
  if (report) {
    report->target = target.to_string();
    report->vector = context.vector;
    report->batch_vector = lowered.batch_vector;
  }
  std::vector<LoweredLayer> &layers = lowered.layers;
  const SchedulePlan &plan = lowered.plan;
  const std::map<std::size_t, Slice> slices = choose_slices(network, layers, plan, context);
  const std::map<std::size_t, Var> pool_rows = pooling_rows(layers, plan, context);
  const std::map<std::size_t, int> strips = choose_strips(network, layers, plan, slices, context);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    LoweredLayer &layer = layers[i];
    // A batch norm's per-channel scale and shift, cheap and read by every element: once per call.
    for (Func per_channel : layer.per_channel()) per_channel.compute_root();
    const NodePlan &entry = plan[i];
    const Shape &shape = output_shape(network, *layer.node);
    if (entry.role == NodePlan::Role::root) {
      // A concatenation's updates that its inputs' heads write (Slice).
      std::vector<bool> written(layer.node->inputs.size());
      for (const auto &[head, slice] : slices) {
        if (plan[head].concat == static_cast<int>(i)) written[static_cast<std::size_t>(slice.update)] = true;
      }
      const auto rows = pool_rows.find(i);
      schedule_stored(layer, shape, context, written,
                      rows == pool_rows.end() ? std::nullopt : std::optional<Var>(rows->second));
      continue;
    }
    if (entry.role != NodePlan::Role::head) continue;  // inlined, or stored by its head
    const bool fuse = plan.fuses(i);
    const auto slice = slices.find(i);
    const Slice *into = slice != slices.end() ? &slice->second : nullptr;
    // Stored by its tail, or a wrapper of itself; into a slice, neither: the slice's update reads
    // the tail (or the layer) inlined.
    Func stored = into ? layer.func : stored_by(layers, plan, i);
    const Shape &in = network.tensors[static_cast<std::size_t>(layer.node->inputs[0])].shape;
    const bool pooled = !context.per_image_threads && entry.pool >= 0;
    const Pool2d *pool = pooled ? &std::get<Pool2d>(layers[static_cast<std::size_t>(entry.pool)].node->op) : nullptr;
    const int points = winograd_of(layer) ? winograd_of(layer)->points() : 0;
    RowStrips row_strips;
    if (const auto found = strips.find(i); found != strips.end()) row_strips.rows = found->second;
    row_strips.inside = entry.strip_reader >= 0 && strips.count(static_cast<std::size_t>(entry.strip_reader));
    const HeadChoice choice = choose_head(layer.node->op, in, shape, winograd_tile_of(layer), points, fuse, pool,
                                          into != nullptr, context, row_strips);
    std::visit(Overloaded{
                   [&](const DirectChoice &direct) {
                     std::optional<NestedIn> nested;
                     if (pooled) {
                       const auto p = static_cast<std::size_t>(entry.pool);
                       const Halide::LoopLevel rows(layers[p].func, pool_rows.at(p));
                       nested = NestedIn{rows, rows};
                     } else if (row_strips.inside) {
                       // Each row tile of the depthwise convolution's strips computes the rows it
                       // reads first; the strip keeps them.
                       const Func depthwise = stored_by(layers, plan, static_cast<std::size_t>(entry.strip_reader));
                       const StripLoops loops = strip_loops(depthwise);
                       nested = NestedIn{Halide::LoopLevel(depthwise, loops.rows),
                                         Halide::LoopLevel(depthwise, loops.strips)};
                     }
                     apply_direct(direct, layer, stored, into, nested, context);
                   },
                   [&](const WinogradChoice &winograd) { apply_winograd(winograd, layer, stored); },
                   [&](const LinearChoice &linear) { apply_linear(linear, layer, stored); },
                   [&](const ColumnsChoice &) { apply_columns(layer, stored, shape, context); },
                   [&](const GenericChoice &) {
                     schedule_generic(layer.func, static_cast<int>(shape.back()), context);
                     if (!layer.weights_embedded) Func(layer.conv().weights.weight).compute_root();
                   },
               },
               choice);
    if (report) report->layers.push_back(report_head(choice, i));
  }
  // The batched copy's specialization takes the output's schedule as it is when made: make it first.
  if (lowered.batch_vector > 0) schedule_batched(lowered, network);
  const Shape &out_shape = network.tensors[static_cast<std::size_t>(network.output)].shape;
  if (lowered.layout.output_channels_innermost) {
    // A tensor for the next part of a cut network: a straight copy of the last tensor, which the
    // schedule stores channels-innermost too.
    schedule_channels_innermost(lowered.output, static_cast<int>(out_shape[0]), context,
                                Var(lowered.output.name() + "_yn"), /*is_output=*/true);
  } else if (lowered.output_values && lowered.batch_vector == 0 && transposes_output(out_shape, context)) {
    schedule_transposed_output(lowered.output, *lowered.output_values, static_cast<int>(out_shape[2]), context);
  } else {
    schedule_generic(lowered.output, static_cast<int>(out_shape.back()), context);
  }
}

}  // namespace cnngen
