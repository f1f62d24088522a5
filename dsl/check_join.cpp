// Join checks; see check_join.hpp.
#include "dsl/check_join.hpp"

#include <algorithm>
#include <climits>

namespace cnngen {
namespace {

const Shape &shape_of(const Network &network, int tensor) {
  return network.tensors[static_cast<std::size_t>(tensor)].shape;
}

/// "64×96×96 → conv2d 'b.conv1' → 128×48×48 → …": the shapes a branch goes through, with the
/// layers that change them.
std::string chain(const Network &network, int input, const WalkedBranch &branch) {
  constexpr std::size_t kMaxSteps = 6;
  std::string text = describe(shape_of(network, input));
  Shape last = shape_of(network, input);
  std::size_t steps = 0;
  for (std::size_t i = branch.first_node; i < branch.end_node; ++i) {
    const Node &node = network.nodes[i];
    const Shape &out = shape_of(network, node.output);
    if (out == last) continue;
    if (++steps > kMaxSteps) {
      text += " → …";
      break;
    }
    text += " → " + describe(node) + " → " + describe(out);
    last = out;
  }
  return text;
}

void note_branches(Diagnostic &d, int input, const std::vector<WalkedBranch> &branches,
                   const Network &network) {
  for (std::size_t i = 0; i < branches.size(); ++i) {
    const WalkedBranch &b = branches[i];
    std::string which = "branch " + std::to_string(i + 1);
    if (b.first_node == b.end_node && b.output == input) {
      d.note(b.range, which + " is empty: it passes its input " + describe(shape_of(network, input)) +
                          " through unchanged");
    } else {
      d.note(b.range, which + ": " + chain(network, input, b));
    }
  }
}

const char *dimension_name(std::size_t i, std::size_t rank) {
  if (rank == 1) return "features";
  return i == 0 ? "channels" : i == 1 ? "height" : "width";
}

/// mul's shapes: PyTorch's broadcasting within one rank (every dimension the output's or 1).
std::optional<Shape> check_broadcast(const ast::Identifier &kind, int input, const std::vector<WalkedBranch> &branches,
                                     const Network &network, Diagnostics &diagnostics) {
  const Shape &first = shape_of(network, branches[0].output);
  Shape out = first;
  for (std::size_t i = 1; i < branches.size(); ++i) {
    const Shape &other = shape_of(network, branches[i].output);
    const std::string which = "branch " + std::to_string(i + 1);
    if (other.size() != out.size()) {
      Diagnostic &d = diagnostics.error(kind.range, "mul joins " + describe(first) + " (branch 1) with " +
                                                        describe(other) + " (" + which +
                                                        "): an image and flat features");
      note_branches(d, input, branches, network);
      return std::nullopt;
    }
    for (std::size_t dim = 0; dim < out.size(); ++dim) {
      if (other[dim] == out[dim] || other[dim] == 1) continue;
      if (out[dim] == 1) {
        out[dim] = other[dim];
        continue;
      }
      Diagnostic &d = diagnostics.error(
          kind.range, std::string("mul's branches differ in ") + dimension_name(dim, out.size()) + ": " +
                          std::to_string(out[dim]) + " and " + std::to_string(other[dim]) + " (" + which +
                          "), and neither is 1");
      note_branches(d, input, branches, network);
      d.with_help("mul broadcasts as PyTorch does: each dimension must match, or be 1 in one branch (a C×1×1 "
                  "scale times a C×H×W tensor)");
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace

std::optional<Shape> check_join(const ast::Identifier &kind, int input,
                                const std::vector<WalkedBranch> &branches, const Network &network,
                                Diagnostics &diagnostics) {
  const std::string &join = kind.name;
  if (branches.size() < 2) {
    diagnostics.error(kind.range, join + " needs at least two branches, found " +
                                      std::to_string(branches.size()))
        .with_help("write `" + join + " { branch {…} branch {…} }`; an empty `branch {}` passes the input through");
    return std::nullopt;
  }
  const Shape &first = shape_of(network, branches[0].output);
  if (join == "add") {
    for (std::size_t i = 1; i < branches.size(); ++i) {
      const Shape &other = shape_of(network, branches[i].output);
      if (other == first) continue;
      Diagnostic &d = diagnostics.error(
          kind.range, "add joins branches of different shapes: " + describe(first) + " (branch 1) and " +
                          describe(other) + " (branch " + std::to_string(i + 1) + ")");
      note_branches(d, input, branches, network);
      // The usual cause: a shortcut left without its projection (D2L's use_1x1conv).
      for (const WalkedBranch &b : branches) {
        for (SourceRange condition : b.false_conditions) {
          std::string text = diagnostics.source().text().substr(condition.begin, condition.end - condition.begin);
          d.note(condition, "the condition `" + text + "` is false here, so this branch leaves out its layers");
        }
      }
      // An empty branch beside one that changes the shape: say which 1×1 convolution fits.
      const Shape &in = shape_of(network, input);
      const WalkedBranch *changed = nullptr, *empty = nullptr;
      for (const WalkedBranch &b : branches) {
        if (b.output == input) empty = empty ? empty : &b;
        else if (shape_of(network, b.output) != in) changed = changed ? changed : &b;
      }
      std::string condition_text;
      for (const WalkedBranch &b : branches) {
        for (SourceRange condition : b.false_conditions) {
          if (condition_text.empty())
            condition_text = diagnostics.source().text().substr(condition.begin, condition.end - condition.begin);
        }
      }
      if (empty && changed && in.size() == 3) {
        const Shape &target = shape_of(network, changed->output);
        std::int64_t stride = target[1] > 0 ? std::max<std::int64_t>(1, in[1] / target[1]) : 1;
        std::string conv = "conv2d(" + std::to_string(target[0]) + ", 1" +
                           (stride > 1 ? ", stride=" + std::to_string(stride) : "") + ")";
        d.with_help(empty->false_conditions.empty()
                        ? "give the empty branch a 1×1 convolution, `" + conv + "`, to turn " +
                              describe(in) + " into " + describe(target)
                        : "make `" + condition_text + "` true for this instance (D2L's use_1x1conv=True, "
                          "torchvision's downsample) to give the shortcut its 1×1 convolution");
      }
      return std::nullopt;
    }
    return first;
  }
  if (join == "mul") return check_broadcast(kind, input, branches, network, diagnostics);
  // concat: the same rank, and every dimension but the channels alike.
  Shape out = first;
  for (std::size_t i = 1; i < branches.size(); ++i) {
    const Shape &other = shape_of(network, branches[i].output);
    std::string which = "branch " + std::to_string(i + 1);
    if (other.size() != first.size()) {
      Diagnostic &d = diagnostics.error(kind.range, "concat joins " + describe(first) + " (branch 1) with " +
                                                        describe(other) + " (" + which +
                                                        "): an image and flat features");
      note_branches(d, input, branches, network);
      return std::nullopt;
    }
    for (std::size_t dim = 1; dim < first.size(); ++dim) {
      if (other[dim] == first[dim]) continue;
      Diagnostic &d = diagnostics.error(
          kind.range, std::string("concat's branches differ in ") + dimension_name(dim, first.size()) + ": " +
                          std::to_string(first[dim]) + " (branch 1) and " + std::to_string(other[dim]) +
                          " (" + which + ")");
      note_branches(d, input, branches, network);
      d.with_help("concat stacks channels: every branch must keep the same height and width");
      return std::nullopt;
    }
    if (__builtin_add_overflow(out[0], other[0], &out[0]) || element_count(out) > INT_MAX) {
      diagnostics.error(kind.range, "concat's output has more than 2^31−1 elements per image");
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace cnngen
