// Shape inference for batch normalization at inference: batchnorm2d normalizes each channel of a
// C×H×W input, batchnorm1d each feature of a flat one, with the running statistics of training.
// The output has the input's shape.
#include <limits>
#include <sstream>
#include <string>

#include "dsl/infer_layer.hpp"

namespace cnngen {
namespace {

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

/// Inputs are C×H×W or F, so an input of the wrong rank is the other batchnorm's: reports it with
/// a fix-it to that kind. True if the rank fits.
bool expect_batchnorm_rank(const LayerContext &context, std::size_t rank) {
  const Shape *in = context.input_shape();
  if (!in) return false;
  if (in->size() == rank) return true;
  if (in->size() != 1 && in->size() != 3) return context.expect_rank(rank);
  const std::string &kind = context.layer.kind.name;
  Diagnostic &d = context.diagnostics.error(
      context.layer.kind.range,
      kind + (rank == 3 ? " needs a C×H×W input, but its input is "
                        : " needs a flat input of features, but its input is ") +
          describe(*in));
  context.note_input(d);
  const char *other = rank == 3 ? "batchnorm1d" : "batchnorm2d";
  d.with_fix(std::string("write '") + other + "' to normalize each " +
                 (rank == 3 ? "feature of a flat input" : "channel of a C×H×W input"),
             context.layer.kind.range, other);
  return false;
}

/// PyTorch's BatchNorm1d/2d(num_features, eps, momentum, affine, track_running_stats). `rank` is
/// the input's: 3 for batchnorm2d, 1 for batchnorm1d.
std::optional<Inferred> infer_batchnorm(const LayerContext &context, std::size_t rank) {
  LayerArguments args(context.layer,
                      {"num_features", "eps", "momentum", "affine", "track_running_stats"}, 5,
                      context.diagnostics);
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  auto declared = args.integer("num_features", 0, 1);
  auto eps = args.real("eps", 1e-5, -kInfinity, kInfinity);
  // Momentum only updates the running statistics during training: checked, then ignored.
  auto momentum = args.real("momentum", 0.1, 0.0, 1.0);
  auto affine = args.boolean("affine", true);
  auto running = args.boolean("track_running_stats", true);
  const std::string &kind = context.layer.kind.name;
  bool ok = declared && eps && momentum && affine && running;
  if (eps && !(*eps > 0)) {
    context.diagnostics.error(args.where("eps"), kind + " argument 'eps' must be greater than 0, got " +
                                                     number(*eps))
        .with_help("eps keeps the division by √(running_var + eps) finite; PyTorch's default is 1e-05");
    ok = false;
  }
  if (running && !*running) {
    context.diagnostics
        .error(args.where("track_running_stats"),
               kind + " track_running_stats=false is not supported: cnngen compiles inference "
                      "with running statistics")
        .note("without running statistics PyTorch normalizes with each batch's own mean and "
              "variance, also in eval mode");
    ok = false;
  }
  if (!expect_batchnorm_rank(context, rank) || !ok) return std::nullopt;
  const Shape &in = *context.input_shape();
  std::int64_t channels = in[0];
  if (args.given("num_features") && *declared != channels) {
    Diagnostic &d = context.diagnostics.error(
        args.where("num_features"), kind + " declares num_features=" + std::to_string(*declared) +
                                        ", but its input has " + std::to_string(channels) +
                                        (rank == 3 ? " channels" : " features"));
    context.note_input(d);
    d.with_fix("write " + std::to_string(channels) + ", or leave 'num_features' out to infer it",
               args.where("num_features"), std::to_string(channels));
    return std::nullopt;
  }
  return Inferred{BatchNorm{channels, *eps, *affine}, in};
}

}  // namespace

std::optional<Inferred> infer_batchnorm2d(const LayerContext &context) {
  return infer_batchnorm(context, 3);
}

std::optional<Inferred> infer_batchnorm1d(const LayerContext &context) {
  return infer_batchnorm(context, 1);
}

}  // namespace cnngen

namespace cnngen {
namespace {

/// nn.LayerNorm's and torchvision's LayerNorm2d's arguments: (normalized_shape or num_channels,
/// eps, elementwise_affine); the normalized size, where given, must be `channels`.
std::optional<Inferred> infer_layer_norm(const LayerContext &context, const char *size_name, std::int64_t channels,
                                         bool channels_last) {
  LayerArguments args(context.layer, {size_name, "eps", "elementwise_affine"}, 3, context.diagnostics);
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  auto declared = args.integer(size_name, 0, 1);
  auto eps = args.real("eps", 1e-5, -kInfinity, kInfinity);
  auto affine = args.boolean("elementwise_affine", true);
  if (!declared || !eps || !affine) return std::nullopt;
  const std::string &kind = context.layer.kind.name;
  if (!(*eps > 0)) {
    context.diagnostics.error(args.where("eps"), kind + " argument 'eps' must be greater than 0, got " +
                                                     number(*eps));
    return std::nullopt;
  }
  if (args.given(size_name) && *declared != channels) {
    Diagnostic &d = context.diagnostics.error(
        args.where(size_name), kind + " declares " + size_name + "=" + std::to_string(*declared) +
                                   ", but it normalizes " + std::to_string(channels) + " values at each position");
    context.note_input(d);
    return std::nullopt;
  }
  return Inferred{LayerNorm{channels, *eps, *affine}, *context.input_shape(), channels_last};
}

}  // namespace

/// nn.LayerNorm(normalized_shape) over the last dimension: the features of a flat input, the
/// channels of a channels-last one (ConvNeXt's block, after permute((0, 2, 3, 1))).
std::optional<Inferred> infer_layernorm(const LayerContext &context) {
  const Shape *in = context.input_shape();
  if (in && in->size() == 3 && !context.input_channels_last()) {
    Diagnostic &d = context.diagnostics.error(
        context.layer.kind.range, "layernorm normalizes the last dimension, the width of this " + describe(*in) +
                                      " input; cnngen normalizes only channels or features");
    context.note_input(d);
    d.with_fix("write 'layernorm2d' to normalize the channels of each pixel (torchvision's LayerNorm2d)",
               context.layer.kind.range, "layernorm2d");
    return std::nullopt;
  }
  if (!in) {
    LayerArguments(context.layer, {"normalized_shape", "eps", "elementwise_affine"}, 3, context.diagnostics);
    return std::nullopt;
  }
  return infer_layer_norm(context, "normalized_shape", (*in)[0], context.input_channels_last());
}

/// torchvision's LayerNorm2d(num_channels, eps=1e-5): over the channels of each pixel of C×H×W.
std::optional<Inferred> infer_layernorm2d(const LayerContext &context) {
  if (!context.input_shape()) {
    LayerArguments(context.layer, {"num_channels", "eps", "elementwise_affine"}, 3, context.diagnostics);
    return std::nullopt;
  }
  if (!context.expect_rank(3)) return std::nullopt;
  return infer_layer_norm(context, "num_channels", (*context.input_shape())[0], false);
}

}  // namespace cnngen
