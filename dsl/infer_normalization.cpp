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
