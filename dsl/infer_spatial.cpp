// Shape inference for the layers that pool or slide a window over H×W: conv2d, maxpool2d,
// avgpool2d, adaptiveavgpool2d, adaptivemaxpool2d. Each spatial size of a sliding window follows
// D2L: out = ⌊(n + 2p − d·(k−1) − 1)/s⌋ + 1, or with ceil_mode PyTorch's rounding up.
#include <string>
#include <tuple>

#include "dsl/infer_layer.hpp"
#include "dsl/window.hpp"

namespace cnngen {
namespace {

/// The output size along one axis, or nothing after reporting that the (dilated) window does not
/// fit in the padded input (with ceil_mode: not even overhanging it by up to s − 1, as PyTorch
/// allows). Sizes are bounded by kMaxDimension, so nothing here overflows.
std::optional<std::int64_t> output_size(const LayerContext &context, const char *axis,
                                        std::int64_t n, const Window &w) {
  std::int64_t span = w.span();
  std::int64_t padded = n + 2 * w.padding;
  std::int64_t out = w.output(n);
  if (out >= 1) return out;
  const std::string &kind = context.layer.kind.name;
  Diagnostic &d = context.diagnostics.error(
      context.layer.range, kind + " window is larger than its padded input: output " + axis +
                               " would be " + w.formula(n));
  std::string overhang = w.ceil_mode && w.stride > 1
                             ? ", and ceil_mode lets a window overhang it by s − 1 = " +
                                   std::to_string(w.stride - 1)
                             : "";
  d.note(std::string("the window spans ") + (w.dilation > 1 ? "d·(k−1)+1 = " : "") +
         std::to_string(span) + " " + (axis[0] == 'h' ? "rows" : "columns") +
         ", the padded input n + 2p = " + std::to_string(padded) + overhang);
  context.note_input(d);
  std::int64_t reach = w.reach(n);
  std::int64_t needed = (span - (reach - 2 * w.padding) + 1) / 2;
  d.with_help("use a kernel of at most " + std::to_string((reach - 1) / w.dilation + 1) +
              " along the " + axis + ", or padding of at least " + std::to_string(needed));
  return std::nullopt;
}

/// Warns when the stride leaves trailing input rows or columns that no window reads: usually a
/// sign that an input size or padding is off by a little.
void warn_unread(const LayerContext &context, std::int64_t height, const Window &along_h,
                 std::int64_t width, const Window &along_w) {
  std::int64_t rows = along_h.unread(height), columns = along_w.unread(width);
  if (rows == 0 && columns == 0) return;
  auto plural = [](std::int64_t n, const char *one, const char *many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  std::string what = rows && columns && rows == columns && height == width
                         ? plural(rows, "row and column", "rows and columns")
                     : rows && columns ? plural(rows, "row", "rows") + " and the last " +
                                             plural(columns, "column", "columns")
                     : rows ? plural(rows, "row", "rows")
                            : plural(columns, "column", "columns");
  // Shown by default only when, past the gaps the stride leaves between windows anyway, more than
  // half a stride is unread: smaller remainders are PyTorch's floor rounding in canonical layers
  // (AlexNet's 11/4 convolution, 3×3/2 poolings); docs/diagnostics.md gives the rule.
  auto large = [](std::int64_t unread, const Window &w) {
    return 2 * (unread - std::max<std::int64_t>(0, w.stride - w.span())) > w.stride;
  };
  Diagnostic &d = context.diagnostics.warning(
      context.layer.range,
      context.layer.kind.name + " leaves the last " + what + " of its input unread: no window reaches them",
      {"unread-input", large(rows, along_h) || large(columns, along_w)});
  bool square = height == width && along_h.kernel == along_w.kernel &&
                along_h.stride == along_w.stride && along_h.padding == along_w.padding &&
                along_h.dilation == along_w.dilation;
  if (square) {
    std::int64_t extra = along_h.stride - (height + 2 * along_h.padding - along_h.span()) % along_h.stride;
    d.note("height and width: " + along_h.formula(height) + ", windows every " +
           std::to_string(along_h.stride) + " spanning " + std::to_string(along_h.span()));
    std::string small = std::to_string(height - rows), large = std::to_string(height + extra);
    d.with_help("an input of " + small + "×" + small + " or " + large + "×" + large +
                " would be read in full");
    return;
  }
  std::string sizes;
  for (auto [axis, n, w, unread] : {std::tuple{"height", height, along_h, rows},
                                    std::tuple{"width", width, along_w, columns}}) {
    if (unread == 0) continue;
    std::int64_t extra = w.stride - (n + 2 * w.padding - w.span()) % w.stride;
    d.note(std::string(axis) + ": " + w.formula(n) + ", windows every " +
           std::to_string(w.stride) + " spanning " + std::to_string(w.span()));
    sizes += std::string(sizes.empty() ? "" : "; ") + "a " + axis + " of " +
             std::to_string(n - unread) + " or " + std::to_string(n + extra);
  }
  d.with_help("input sizes read in full: " + sizes);
}

/// The H×W output of a window layer, or nothing after reporting why there is none.
std::optional<Pair> spatial_output(const LayerContext &context, const Shape &in, const Pair &kernel,
                                   const Pair &stride, const Pair &padding, const Pair &dilation,
                                   bool ceil_mode) {
  Window along_h{kernel.h, stride.h, padding.h, dilation.h, ceil_mode};
  Window along_w{kernel.w, stride.w, padding.w, dilation.w, ceil_mode};
  auto h = output_size(context, "height", in[1], along_h);
  // When the width fails with the very same numbers, a second error would only repeat the first.
  bool same = in[1] == in[2] && along_h.kernel == along_w.kernel && along_h.stride == along_w.stride &&
              along_h.padding == along_w.padding && along_h.dilation == along_w.dilation;
  if (!h && same) return std::nullopt;
  auto w = output_size(context, "width", in[2], along_w);
  if (!h || !w) return std::nullopt;
  warn_unread(context, in[1], along_h, in[2], along_w);
  return Pair{*h, *w};
}

std::optional<Inferred> infer_pool(const LayerContext &context, PoolKind kind) {
  // PyTorch's order: nn.MaxPool2d(kernel_size, stride, padding, dilation, return_indices,
  // ceil_mode), so there ceil_mode is keyword-only; nn.AvgPool2d(kernel_size, stride, padding,
  // ceil_mode, count_include_pad).
  const bool max = kind == PoolKind::max;
  LayerArguments args(context.layer,
                      max ? std::vector<std::string_view>{"kernel", "stride", "padding", "dilation", "ceil_mode"}
                          : std::vector<std::string_view>{"kernel", "stride", "padding", "ceil_mode", "count_include_pad"},
                      max ? 4 : 5, context.diagnostics,
                      max ? "nn.MaxPool2d's fifth parameter is return_indices, which cnngen does not give" : "");
  auto kernel = args.pair("kernel", std::nullopt, 1);
  // PyTorch: the stride defaults to the kernel size.
  auto stride = kernel ? args.pair("stride", kernel, 1) : std::nullopt;
  auto padding = args.pair("padding", Pair{0, 0}, 0);
  auto dilation = max ? args.pair("dilation", Pair{1, 1}, 1) : std::optional<Pair>(Pair{1, 1});
  auto ceil_mode = args.boolean("ceil_mode", false);
  auto count_include_pad = max ? std::optional<bool>(true) : args.boolean("count_include_pad", true);
  if (!kernel || !stride || !padding || !dilation || !ceil_mode || !count_include_pad || !context.expect_rank(3))
    return std::nullopt;
  bool ok = true;
  for (auto [pad, k, axis] : {std::tuple{padding->h, kernel->h, "height"},
                              std::tuple{padding->w, kernel->w, "width"}}) {
    bool repeats_height = axis[0] == 'w' && !ok && padding->h == padding->w && kernel->h == kernel->w;
    if (2 * pad > k && !repeats_height) {
      context.diagnostics
          .error(args.where("padding"), context.layer.kind.name + " padding " +
                                            std::to_string(pad) + " along the " + axis +
                                            " is more than half the kernel size " +
                                            std::to_string(k))
          .with_help("use padding of at most " + std::to_string(k / 2) +
                     " (a window must never lie wholly in the padding)");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  const Shape &in = *context.input_shape();
  auto out = spatial_output(context, in, *kernel, *stride, *padding, *dilation, *ceil_mode);
  if (!out) return std::nullopt;
  return Inferred{Pool2d{kind, *kernel, *stride, *padding, *ceil_mode, *dilation, *count_include_pad},
                  {in[0], out->h, out->w}};
}

/// PyTorch's adaptive pooling: any output size of at least 1, also larger than the input (then
/// windows repeat input positions), so only the argument and the input's rank can be wrong.
std::optional<Inferred> infer_adaptive_pool(const LayerContext &context, PoolKind kind) {
  LayerArguments args(context.layer, {"output"}, 1, context.diagnostics);
  auto output = args.pair("output", std::nullopt, 1);
  if (!output || !context.expect_rank(3)) return std::nullopt;
  const Shape &in = *context.input_shape();
  return Inferred{AdaptivePool2d{kind, *output}, {in[0], output->h, output->w}};
}

}  // namespace

std::optional<Inferred> infer_conv2d(const LayerContext &context) {
  LayerArguments args(context.layer,
                      {"out", "kernel", "stride", "padding", "dilation", "groups", "bias", "in"}, 7,
                      context.diagnostics,
                      "nn.Conv2d(in_channels, out_channels, kernel_size, …) takes 'in' first; cnngen's "
                      "conv2d takes 'out' first and infers 'in'");
  auto out_channels = args.integer("out", std::nullopt, 1);
  auto kernel = args.pair("kernel", std::nullopt, 1);
  auto stride = args.pair("stride", Pair{1, 1}, 1);
  auto padding = args.pair("padding", Pair{0, 0}, 0);
  auto dilation = args.pair("dilation", Pair{1, 1}, 1);
  auto groups = args.integer("groups", 1, 1);
  auto bias = args.boolean("bias", true);
  auto declared_in = args.integer("in", 0, 1);
  if (!out_channels || !kernel || !stride || !padding || !dilation || !groups || !bias ||
      !declared_in || !context.expect_rank(3))
    return std::nullopt;

  const Shape &in = *context.input_shape();
  const std::string &kind = context.layer.kind.name;
  bool ok = true;
  if (args.given("in") && *declared_in != in[0]) {
    Diagnostic &d = context.diagnostics.error(
        args.where("in"), kind + " declares in=" + std::to_string(*declared_in) +
                              ", but its input has " + std::to_string(in[0]) + " channels");
    context.note_input(d);
    d.with_fix("write in=" + std::to_string(in[0]) + ", or leave 'in' out to infer it",
               args.where("in"), std::to_string(in[0]));
    ok = false;
  }
  for (auto [channels, which] : {std::pair{in[0], "input"}, std::pair{*out_channels, "output"}}) {
    if (channels % *groups != 0) {
      Diagnostic &d = context.diagnostics.error(
          args.where("groups"), kind + " groups=" + std::to_string(*groups) + " does not divide its " +
                                    std::to_string(channels) + " " + which + " channels");
      if (which[0] == 'i') context.note_input(d);
      ok = false;
    }
  }
  auto size = spatial_output(context, in, *kernel, *stride, *padding, *dilation, false);
  if (!ok || !size) return std::nullopt;
  Conv2d conv{in[0], *out_channels, *kernel, *stride, *padding, *dilation, *groups, *bias};
  return Inferred{conv, {*out_channels, size->h, size->w}};
}

std::optional<Inferred> infer_maxpool2d(const LayerContext &context) {
  return infer_pool(context, PoolKind::max);
}

std::optional<Inferred> infer_avgpool2d(const LayerContext &context) {
  return infer_pool(context, PoolKind::average);
}

namespace {

/// nn.ZeroPad2d(padding), nn.ConstantPad2d(padding, value), nn.ReflectionPad2d(padding),
/// nn.ReplicationPad2d(padding): `padding` one number for every side or (left, right, top,
/// bottom), as PyTorch's; reflection needs each side's padding smaller than the image along it.
/// `takes_value`: the layer names the value it pads with (constantpad2d; zeropad2d pads with 0).
std::optional<Inferred> infer_pad(const LayerContext &context, PadMode mode, bool takes_value = false) {
  LayerArguments args(context.layer,
                      takes_value ? std::vector<std::string_view>{"padding", "value"}
                                  : std::vector<std::string_view>{"padding"},
                      takes_value ? 2 : 1, context.diagnostics);
  auto padding = args.integers("padding", 0);
  std::optional<double> value = 0.0;
  if (takes_value) {
    if (!args.given("value")) {
      context.diagnostics.error(context.layer.range, "constantpad2d needs the value it pads with")
          .with_help("write constantpad2d(padding, value), as nn.ConstantPad2d(padding, value)");
      return std::nullopt;
    }
    value = args.real("value", 0.0, -3.4e38, 3.4e38);
  }
  if (!padding || !value || !context.expect_rank(3)) return std::nullopt;
  if (padding->size() != 1 && padding->size() != 4) {
    context.diagnostics.error(args.where("padding"), context.layer.kind.name + " padding is one number or four, "
                                                     "(left, right, top, bottom), not " +
                                                         std::to_string(padding->size()));
    return std::nullopt;
  }
  const std::vector<std::int64_t> p = padding->size() == 1 ? std::vector<std::int64_t>(4, (*padding)[0]) : *padding;
  const Shape &in = *context.input_shape();
  if (mode == PadMode::reflect) {
    for (int side = 0; side < 4; ++side) {
      const std::int64_t n = side < 2 ? in[2] : in[1];
      if (p[static_cast<std::size_t>(side)] >= n) {
        Diagnostic &d = context.diagnostics.error(
            args.where("padding"), "reflectionpad2d pads " + std::to_string(p[static_cast<std::size_t>(side)]) +
                                       " on a side of an image " + std::to_string(n) + (side < 2 ? " wide" : " high") +
                                       "; reflection pads less than the image along each side (PyTorch's rule)");
        context.note_input(d);
        return std::nullopt;
      }
    }
  }
  Pad2d pad{mode, p[0], p[1], p[2], p[3], *value};
  return Inferred{pad, {in[0], in[1] + p[2] + p[3], in[2] + p[0] + p[1]}};
}

}  // namespace

std::optional<Inferred> infer_zeropad2d(const LayerContext &context) { return infer_pad(context, PadMode::constant); }
std::optional<Inferred> infer_constantpad2d(const LayerContext &context) {
  return infer_pad(context, PadMode::constant, true);
}
std::optional<Inferred> infer_reflectionpad2d(const LayerContext &context) { return infer_pad(context, PadMode::reflect); }
std::optional<Inferred> infer_replicationpad2d(const LayerContext &context) {
  return infer_pad(context, PadMode::replicate);
}

std::optional<Inferred> infer_adaptiveavgpool2d(const LayerContext &context) {
  return infer_adaptive_pool(context, PoolKind::average);
}

std::optional<Inferred> infer_adaptivemaxpool2d(const LayerContext &context) {
  return infer_adaptive_pool(context, PoolKind::max);
}

}  // namespace cnngen
