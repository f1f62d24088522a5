// Target strings as cnngen takes them: one Halide target ("host", "arm-64-linux") or a
// comma-separated list of them for a multi-target library, and the target of the Halide runtime
// that such libraries share.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <Halide.h>

#include "codegen/target_features.hpp"

namespace cnngen {

/// Parses `text` into its targets, best first (the last is the baseline that any machine of the
/// family runs). A part made of features alone ("cuda") means the host with those features; CUDA
/// targets get a pinned capability (with_pinned_cuda_capability), "host" only the features this CPU
/// has (with_host_features_checked), and every target leaves LLVM's loop vectorizer off
/// (without_llvm_loop_vectorizer). On a malformed string, returns nothing and
/// sets `error` to a sentence naming the part at fault.
std::optional<std::vector<Halide::Target>> parse_targets(const std::string &text, std::string &error);

/// `target`, with cuda_capability_80 (A100, H100 and later) added when it has CUDA and names no
/// capability: without one, Halide 14 emits code for sm_20, which today's drivers refuse.
Halide::Target with_pinned_cuda_capability(Halide::Target target);

/// The target of a standalone runtime for libraries built for `targets` (with no_runtime): the
/// features every one of them has, as Halide's own multi-target libraries choose their runtime.
Halide::Target runtime_target(const std::vector<Halide::Target> &targets);

}  // namespace cnngen
