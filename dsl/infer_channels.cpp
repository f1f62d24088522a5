// Shape inference of the layers that only rearrange channels: chunk and narrow (a slice of the
// channels, ShuffleNetV2's split) and channel_shuffle (nn.ChannelShuffle).
#include <string>

#include "dsl/infer_layer.hpp"
#include "dsl/layer_arguments.hpp"

namespace cnngen {
namespace {

/// The input's shape with `length` channels (features of a flat input).
Shape with_channels(const Shape &in, std::int64_t length) {
  Shape out = in;
  out[0] = length;
  return out;
}

std::string channels_of(const Shape &in) {
  return std::to_string(in[0]) + (in.size() == 1 ? " features" : " channels");
}

}  // namespace

/// x.chunk(chunks, dim=1)[index]: PyTorch's chunks hold ⌈C/chunks⌉ channels each, the last fewer,
/// and there are fewer than `chunks` of them where C is small (5 channels in chunks of 2: 3).
std::optional<Inferred> infer_chunk(const LayerContext &context) {
  LayerArguments args(context.layer, {"chunks", "index"}, 2, context.diagnostics);
  auto chunks = args.integer("chunks", std::nullopt, 1);
  auto index = args.integer("index", std::nullopt, 0);
  const Shape *in = context.input_shape();
  if (!chunks || !index || !in) return std::nullopt;
  const std::int64_t size = ((*in)[0] + *chunks - 1) / *chunks;
  const std::int64_t count = ((*in)[0] + size - 1) / size;
  if (*index >= count) {
    Diagnostic &d = context.diagnostics.error(
        args.where("index"), "chunk " + std::to_string(*index) + " does not exist: x.chunk(" +
                                 std::to_string(*chunks) + ", dim=1) of " + channels_of(*in) + " gives " +
                                 std::to_string(count) + " chunk" + (count == 1 ? "" : "s") + " of up to " +
                                 std::to_string(size));
    context.note_input(d);
    d.with_help("chunks count from 0: the last is index=" + std::to_string(count - 1));
    return std::nullopt;
  }
  const std::int64_t start = *index * size;
  const std::int64_t length = std::min(size, (*in)[0] - start);
  return Inferred{ChannelSlice{start, length}, with_channels(*in, length)};
}

/// torch.narrow(x, 1, start, length): channels [start, start + length).
std::optional<Inferred> infer_narrow(const LayerContext &context) {
  LayerArguments args(context.layer, {"start", "length"}, 2, context.diagnostics);
  auto start = args.integer("start", std::nullopt, 0);
  auto length = args.integer("length", std::nullopt, 1);
  const Shape *in = context.input_shape();
  if (!start || !length || !in) return std::nullopt;
  if (*start + *length > (*in)[0]) {
    Diagnostic &d = context.diagnostics.error(
        context.layer.range, "narrow(" + std::to_string(*start) + ", " + std::to_string(*length) +
                                 ") reads channels " + std::to_string(*start) + " to " +
                                 std::to_string(*start + *length - 1) + ", but its input has " + channels_of(*in));
    context.note_input(d);
    return std::nullopt;
  }
  return Inferred{ChannelSlice{*start, *length}, with_channels(*in, *length)};
}

/// nn.ChannelShuffle(groups): the channels viewed as groups × C/groups, transposed.
std::optional<Inferred> infer_channel_shuffle(const LayerContext &context) {
  LayerArguments args(context.layer, {"groups"}, 1, context.diagnostics);
  auto groups = args.integer("groups", std::nullopt, 1);
  const Shape *in = context.input_shape();
  if (!groups || !in) return std::nullopt;
  if ((*in)[0] % *groups != 0) {
    Diagnostic &d = context.diagnostics.error(
        args.where("groups"), "channel_shuffle's " + std::to_string(*groups) + " groups do not divide its " +
                                  channels_of(*in));
    context.note_input(d);
    return std::nullopt;
  }
  return Inferred{ChannelShuffle{*groups}, *in};
}

}  // namespace cnngen

namespace cnngen {

/// torch.permute(x, dims) between N×C×H×W and N×H×W×C, the two ConvNeXt's block uses.
std::optional<Inferred> infer_permute(const LayerContext &context) {
  LayerArguments args(context.layer, {"dims"}, 1, context.diagnostics);
  auto dims = args.integers("dims", 0);
  const Shape *in = context.input_shape();
  if (!dims || !in) return std::nullopt;
  const std::vector<std::int64_t> to_last{0, 2, 3, 1}, to_first{0, 3, 1, 2};
  if (*dims != to_last && *dims != to_first) {
    context.diagnostics.error(args.where("dims"), "cnngen permutes only between N×C×H×W and N×H×W×C")
        .with_help("write permute((0, 2, 3, 1)) to make the channels last, permute((0, 3, 1, 2)) to put them back");
    return std::nullopt;
  }
  const bool to_channels_last = *dims == to_last;
  if (in->size() != 3 || to_channels_last == context.input_channels_last()) {
    Diagnostic &d = context.diagnostics.error(
        context.layer.range, std::string("permute(") + (to_channels_last ? "(0, 2, 3, 1)" : "(0, 3, 1, 2)") +
                                 " needs " + (to_channels_last ? "a C×H×W" : "a channels-last H×W×C") +
                                 " input, but its input is " +
                                 (in->size() != 3 ? describe(*in)
                                  : context.input_channels_last() ? "channels-last"
                                                                  : "C×H×W, channels first"));
    context.note_input(d);
    return std::nullopt;
  }
  return Inferred{Permute{to_channels_last}, *in, to_channels_last};
}

/// A trainable tensor of the given shape (ConvNeXt's layer_scale: parameter layer_scale((96, 1, 1))),
/// read whatever the layer's input.
std::optional<Inferred> infer_parameter(const LayerContext &context) {
  LayerArguments args(context.layer, {"shape"}, 1, context.diagnostics);
  auto shape = args.integers("shape", 1);
  if (!shape) return std::nullopt;
  if (shape->size() != 1 && shape->size() != 3) {
    context.diagnostics.error(args.where("shape"), "a parameter is C×H×W or F, not " +
                                                       std::to_string(shape->size()) + "-dimensional");
    return std::nullopt;
  }
  if (!context.layer.name) {
    context.diagnostics.error(context.layer.range, "a parameter needs a name: its state_dict entry is the name itself")
        .with_help("write `parameter layer_scale(" + describe(*shape) + ")`");
    return std::nullopt;
  }
  return Inferred{ParameterTensor{*shape}, *shape};
}

}  // namespace cnngen
