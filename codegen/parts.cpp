// Cutting a deep network into parts and the outer pipeline that calls them; see parts.hpp.
#include "codegen/parts.hpp"

#include <algorithm>
#include <map>
#include <variant>

#include "dsl/operation_traits.hpp"
#include "dsl/symbols.hpp"

namespace cnngen {
namespace {

/// The index of the last node that reads each tensor; the network's output counts as read after
/// the last node.
std::vector<int> last_readers(const Network &network) {
  std::vector<int> last(network.tensors.size(), -1);
  for (std::size_t i = 0; i < network.nodes.size(); ++i) {
    for (int tensor : network.nodes[i].inputs) last[static_cast<std::size_t>(tensor)] = static_cast<int>(i);
  }
  last[static_cast<std::size_t>(network.output)] = static_cast<int>(network.nodes.size());
  return last;
}

/// Whether a part may begin with `op`: a layer that starts a stage of its own, or one that only
/// reads its input's channels elsewhere (chunk, narrow, channel_shuffle: ShuffleNetV2 is cut
/// before each unit's shuffle, the stored concatenation the part's output; 3 cuts in its 16 units
/// otherwise). Neither loses a batch-norm folding or a fusion.
bool may_begin_part(const Operation &op) {
  return starts_stage(op) || std::holds_alternative<ChannelSlice>(op) || std::holds_alternative<ChannelShuffle>(op);
}

/// Whether the network may be cut after node `i`: see split_network.
bool cut_after(const Network &network, const std::vector<int> &last, std::size_t i) {
  if (i + 1 >= network.nodes.size()) return false;
  const int tensor = network.nodes[i].output;
  if (network.tensors[static_cast<std::size_t>(tensor)].shape.size() != 3) return false;
  if (!may_begin_part(network.nodes[i + 1].op)) return false;
  // No other tensor made at or before node i is read after it (the input included).
  for (std::size_t t = 0; t < network.tensors.size(); ++t) {
    if (static_cast<int>(t) == tensor) continue;
    const int producer = network.tensors[t].producer;
    if (producer <= static_cast<int>(i) && last[t] > static_cast<int>(i)) return false;
  }
  return true;
}

/// The shape of the tensor node `i` makes.
const Shape &tensor_shape(const Network &network, std::size_t i) {
  return network.tensors[static_cast<std::size_t>(network.nodes[i].output)].shape;
}

/// Nodes [begin, end) of `network` as a network whose input is tensor `input`.
NetworkPart part_of(const Network &network, std::size_t begin, std::size_t end, int input, int output) {
  Network part;
  part.name = network.name;
  part.input_range = network.input_range;
  std::map<int, int> tensors;  // the network's index → the part's
  auto tensor_index = [&](int tensor) {
    auto [at, added] = tensors.emplace(tensor, static_cast<int>(part.tensors.size()));
    if (added) part.tensors.push_back({network.tensors[static_cast<std::size_t>(tensor)].shape, -1});
    return at->second;
  };
  part.input = tensor_index(input);
  for (std::size_t i = begin; i < end; ++i) {
    Node node = network.nodes[i];
    for (int &tensor : node.inputs) tensor = tensor_index(tensor);
    node.output = tensor_index(node.output);
    part.tensors[static_cast<std::size_t>(node.output)].producer = static_cast<int>(part.nodes.size());
    part.nodes.push_back(std::move(node));
  }
  part.output = tensor_index(output);
  return {std::move(part), begin};
}

/// The outer pipeline `function_name` of `network` lowered in `parts` (`lowered`, named `names`):
/// the network's input, weight arguments and output, and one extern stage per part.
LoweredNetwork lower_outer(const Network &network, const std::vector<NetworkPart> &parts,
                           const std::vector<LoweredNetwork> &lowered, const std::vector<std::string> &names,
                           const std::string &function_name) {
  LoweredNetwork outer;
  // The entry point checks the input and output as lower() constrains them; each part checks its
  // weights itself.
  const std::vector<int> input = halide_extents(network.tensors[static_cast<std::size_t>(network.input)].shape);
  // Named as lower() names them, so that the header reads the same whether or not the network
  // is cut.
  ModelNames model_names(network);
  outer.input = Halide::ImageParam(Halide::Float(32), static_cast<int>(input.size()) + 1, model_names.take("input"));
  constrain(outer.input, input);
  outer.input.dim(static_cast<int>(input.size())).set_min(0);
  Halide::Func previous;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    std::vector<Halide::ExternFuncArgument> arguments;
    arguments.push_back(k == 0 ? Halide::ExternFuncArgument(outer.input) : Halide::ExternFuncArgument(previous));
    for (const WeightArgument &w : lowered[k].weight_arguments) {
      WeightArgument own = w;
      own.param = Halide::ImageParam(w.param.type(), w.param.dimensions(), w.param.name());
      own.node = &network.nodes[parts[k].first + static_cast<std::size_t>(w.node - parts[k].network.nodes.data())];
      // The caller's buffer itself, not the ImageParam: as an ImageParam, each weight of the part
      // would get a bounds query, its own halide_buffer_t and checks in the entry point (480 of
      // them took LLVM 40 s in Inception-v3's); the part checks its weights itself.
      arguments.push_back(Halide::Expr(Halide::Internal::Variable::make(
          Halide::type_of<halide_buffer_t *>(), own.param.name() + ".buffer")));
      outer.weight_arguments.push_back(own);
    }
    Halide::Func call(model_names.take(k + 1 < parts.size() ? names[k] + "_call" : function_name + "_output"));
    call.define_extern(names[k], arguments, Halide::Float(32), lowered[k].output.dimensions());
    if (k + 1 < parts.size()) {
      // Whole tensors between parts, every image included, as each part's input is constrained
      // to. Not the region the next part's bounds query asks for: a part that reads less of its
      // input asks for less, and one that reads none of it (every window of its first
      // convolution in the padding) for no images at all, with which the parts before it were
      // then called (errors -28 and -7).
      // Stored with the channels innermost, as the part before writes it and the next reads it.
      call.compute_root();
      std::vector<Halide::Var> args = call.args();
      call.reorder_storage(args[2], args[0], args[1], args[3]);
      const Network &next = parts[k + 1].network;
      const std::vector<int> extents = halide_extents(next.tensors[static_cast<std::size_t>(next.input)].shape);
      for (std::size_t d = 0; d < extents.size(); ++d) call.bound(args[d], 0, extents[d]);
      call.bound(args[extents.size()], 0, outer.input.dim(static_cast<int>(input.size())).extent());
    }
    previous = call;
  }
  outer.output = previous;
  const std::vector<int> output = halide_extents(network.tensors[static_cast<std::size_t>(network.output)].shape);
  constrain(outer.output.output_buffer(), output);
  outer.output.output_buffer().dim(static_cast<int>(output.size())).set_min(0);
  return outer;
}

}  // namespace

std::vector<NetworkPart> split_network(const Network &network, int layers_per_part) {
  if (layers_per_part <= 0 || network.nodes.size() < 2 * static_cast<std::size_t>(layers_per_part))
    return {{network, 0}};
  const std::vector<int> last = last_readers(network);
  std::vector<NetworkPart> parts;
  std::size_t begin = 0;
  int input = network.input;
  const auto per_part = static_cast<std::size_t>(layers_per_part);
  // The rest must make a part of its own: no tail shorter than half a part.
  auto may_cut = [&](std::size_t i) {
    return network.nodes.size() - (i + 1) >= per_part / 2 && cut_after(network, last, i);
  };
  for (std::size_t i = 0; i < network.nodes.size(); ++i) {
    if (i + 1 - begin < per_part || !may_cut(i)) continue;
    // Of the cuts up to half a part further, the one whose tensor is smallest: it is written out
    // whole and read back by the next part. In an inverted residual that is the block's output,
    // not its expansion (MobileNetV3's cut 672×14×14 tensors where 112×14×14 came three layers
    // later).
    std::size_t best = i;
    for (std::size_t j = i + 1; j < network.nodes.size() && j + 1 - begin < per_part + per_part / 2; ++j) {
      if (may_cut(j) && element_count(tensor_shape(network, j)) < element_count(tensor_shape(network, best))) best = j;
    }
    i = best;
    const int cut = network.nodes[i].output;
    parts.push_back(part_of(network, begin, i + 1, input, cut));
    begin = i + 1;
    input = cut;
  }
  if (parts.empty()) return {{network, 0}};
  parts.push_back(part_of(network, begin, network.nodes.size(), input, network.output));
  return parts;
}

LoweredParts lower_parts(const Network &network, const PipelineBuilder &build, const std::string &function_name,
                         const Halide::Target &target, int layers_per_part, const ProgressReport &progress) {
  LoweredParts result;
  result.parts = split_network(network, target.has_gpu_feature() ? 0 : layers_per_part);
  if (!result.cut()) {
    if (progress) progress("scheduling");
    result.names = {function_name};
    result.lowered.push_back(build(network, function_name, target, BoundaryLayout{}));
    result.entry = result.lowered.front();
    return result;
  }
  // A multi-target library's variants are named "<function>-<target>": part names must be C names.
  std::string stem = function_name;
  std::replace(stem.begin(), stem.end(), '-', '_');
  for (std::size_t k = 0; k < result.parts.size(); ++k) {
    result.names.push_back(stem + "_part" + std::to_string(k));
    if (progress) progress("scheduling part " + std::to_string(k + 1) + " of " + std::to_string(result.parts.size()));
    result.lowered.push_back(
        build(result.parts[k].network, result.names.back(), target, part_layout(k, result.parts.size())));
  }
  result.entry = lower_outer(network, result.parts, result.lowered, result.names, stem);
  return result;
}

Halide::Module part_module(const LoweredParts &network, std::size_t k, const Halide::Target &target, bool internal) {
  const LoweredNetwork &part = network.lowered.at(k);
  Halide::Module module = Halide::Pipeline(part.output).compile_to_module(part.arguments(), network.names[k], target);
  if (internal) {
    // Called only by the outer pipeline: no symbol, no declaration in the header.
    for (Halide::Internal::LoweredFunc &f : module.functions()) f.linkage = Halide::LinkageType::Internal;
  }
  return module;
}

Halide::Module entry_module(const LoweredParts &network, const std::string &function_name,
                            const Halide::Target &target) {
  return Halide::Pipeline(network.entry->output).compile_to_module(network.entry->arguments(), function_name, target);
}

Halide::Module compile_network(const Network &network, const PipelineBuilder &build,
                               const std::string &function_name, const Halide::Target &target,
                               int layers_per_part, std::optional<LoweredNetwork> &entry,
                               const ProgressReport &progress) {
  const LoweredParts lowered = lower_parts(network, build, function_name, target, layers_per_part, progress);
  entry = lowered.entry;
  if (!lowered.cut()) {
    if (progress) progress("lowering");
    return entry_module(lowered, function_name, target);
  }
  std::vector<Halide::Module> modules{entry_module(lowered, function_name, target)};
  for (std::size_t k = 0; k < lowered.parts.size(); ++k) {
    if (progress) progress("lowering part " + std::to_string(k + 1) + " of " + std::to_string(lowered.parts.size()));
    modules.push_back(part_module(lowered, k, target, true));
  }
  return Halide::link_modules(function_name, modules);
}

}  // namespace cnngen
