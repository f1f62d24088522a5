// Deep networks lowered in parts. Halide 14's lowering passes walk the whole statement once per
// enclosing realization, so a network of a few hundred stored stages (MobileNetV2) takes minutes to
// compile, growing with depth × size. Cut where a single tensor joins consecutive layers, each part
// is its own Halide pipeline (lowered and scheduled as any network), and a small outer pipeline
// calls them in turn through extern stages: the library's entry point and arguments are those of
// the whole network. See docs/performance.md ("Modern CNNs").
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <Halide.h>

#include "codegen/lower.hpp"
#include "codegen/progress.hpp"
#include "dsl/network.hpp"

namespace cnngen {

/// Lowers and schedules a network (a whole one, or a part) as the function `function_name`, its
/// input and output lying in memory as `layout` says (lower()'s argument): a part's tensors from
/// and to another part lie with the channels innermost.
using PipelineBuilder = std::function<LoweredNetwork(const Network &, const std::string &function_name,
                                                     const Halide::Target &, const BoundaryLayout &layout)>;

/// Layers per part (cnngen --layers-per-part); networks of fewer than twice as many are compiled
/// whole. Halide's passes take time growing with the square of a pipeline's depth: a chain of 32
/// small convolutions took 109 s whole and 7 s in parts of 8, ResNet-18 34 s in parts of 20 and
/// 23 s in parts of 12. A cut costs a few microseconds, and a small batch-vectorized network its
/// layout round trip (docs/performance.md, "Deep networks in parts of 12 rather than 20").
inline constexpr int kDefaultLayersPerPart = 12;

/// Nodes [first, first + network.nodes.size()) of a network, as a network of their own.
struct NetworkPart {
  Network network;
  std::size_t first = 0;
};

/// How part `k` of `parts` lays out its input and output: the channels innermost between parts,
/// planar (PyTorch's layout) at the network's own input and output.
inline BoundaryLayout part_layout(std::size_t k, std::size_t parts) { return {k > 0, k + 1 < parts}; }

/// `network` cut into consecutive parts of at least `layers_per_part` layers (the last of at least
/// half as many), each a Network whose input is the one tensor the part before it leaves. A cut
/// falls only where that tensor is the only one alive, has channels, height and width, and the
/// next layer starts a stage of its own (a convolution, pooling or linear layer) or only reads
/// channels elsewhere (chunk, narrow, channel_shuffle), so that neither
/// batch-norm folding nor epilogue fusion is lost. Of the cuts from `layers_per_part` layers to half
/// as many more, the one whose tensor has the fewest elements (it crosses to the next part through
/// memory, whole, channels innermost). One part, the network itself, when no cut
/// qualifies, the network has fewer than 2 × `layers_per_part` layers, or `layers_per_part` is 0.
std::vector<NetworkPart> split_network(const Network &network, int layers_per_part);

/// A network lowered and scheduled for one target, whole or in parts (split_network).
struct LoweredParts {
  std::vector<NetworkPart> parts;       // one: the network itself
  std::vector<LoweredNetwork> lowered;  // each part's pipeline
  std::vector<std::string> names;       // each part's function (one part: the entry point's)
  /// The entry point's LoweredNetwork: its input, weight arguments (in layer order, their nodes
  /// those of the network) and output. Cut: the outer pipeline that calls the parts through
  /// extern stages; whole: the network's own pipeline.
  std::optional<LoweredNetwork> entry;
  bool cut() const { return parts.size() > 1; }
};

/// `network` scheduled by `build` as the function `function_name` for `target`, cut into parts of
/// `layers_per_part` layers (GPU targets whole). Cheap next to compiling: Halide lowers nothing yet.
/// `progress` hears of each part as it starts.
LoweredParts lower_parts(const Network &network, const PipelineBuilder &build, const std::string &function_name,
                         const Halide::Target &target, int layers_per_part, const ProgressReport &progress = {});

/// Part k's module, lowered by Halide (most of a compile's time, with LLVM's): a function the
/// entry point calls, not for the app (Internal linkage when `internal`, for link_modules).
Halide::Module part_module(const LoweredParts &network, std::size_t k, const Halide::Target &target, bool internal);

/// The entry point's module, `function_name`: the outer pipeline, or the whole network's.
Halide::Module entry_module(const LoweredParts &network, const std::string &function_name,
                            const Halide::Target &target);

/// The module of `network` as the function `function_name` for `target`: its pipeline, or, when
/// split_network cuts it, one internal function per part and an outer pipeline that calls them,
/// linked into one module (GPU targets are compiled whole). `entry` receives the entry point's
/// LoweredNetwork. `progress` hears of each part as it starts.
Halide::Module compile_network(const Network &network, const PipelineBuilder &build,
                               const std::string &function_name, const Halide::Target &target,
                               int layers_per_part, std::optional<LoweredNetwork> &entry,
                               const ProgressReport &progress = {});

}  // namespace cnngen
