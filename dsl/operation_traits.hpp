// What the passes ask of a layer kind, answered in one place per operation: its name in the IR,
// its role in the schedule plan's fusion, whether a network may be cut before it, whether it is
// its input at inference, the windows it slides, its multiply-adds and its state_dict entries. One specialization of
// OperationTraits per alternative of Operation; an operation without one fails to compile wherever
// any of these is asked (docs/architecture.md, "Adding a layer kind").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "dsl/network.hpp"
#include "dsl/window.hpp"

namespace cnngen {

/// How a stage may take part in the chain of element-wise stages a convolution or linear layer
/// computes in its epilogue (codegen/plan.hpp).
enum class FusionRole {
  head,         // conv2d, linear: computed tile by tile inside its chain's last stage
  elementwise,  // joins a head's chain as its one reader
  join,         // joins a chain as its one reader when its other inputs are stored before the head
  stored,       // stored whole by the generic schedule of its kind
  inlined,      // no stage of its own (it aliases its input) or inlined into its readers
};

template <class Op>
struct OperationTraits;  // one specialization per operation, below

template <>
struct OperationTraits<Conv2d> {
  static constexpr const char *name = "conv2d";
  static constexpr FusionRole fusion = FusionRole::head;
  static constexpr bool starts_stage = true;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const Conv2d &op) {
    return Windows{{op.kernel.h, op.stride.h, op.padding.h, op.dilation.h},
                   {op.kernel.w, op.stride.w, op.padding.w, op.dilation.w}};
  }
  static std::int64_t multiply_adds(const Conv2d &op, const Shape &out) {
    return element_count(out) * (op.in_channels / op.groups) * op.kernel.h * op.kernel.w;
  }
  static std::vector<Parameter> parameters(const Conv2d &op, const std::string &prefix) {
    std::vector<Parameter> out{{prefix + "weight",
                                op.linear_weight ? Shape{op.out_channels, op.in_channels}
                                                 : Shape{op.out_channels, op.in_channels / op.groups, op.kernel.h,
                                                         op.kernel.w},
                                ParameterRole::weight}};
    if (op.bias) out.push_back({prefix + "bias", {op.out_channels}, ParameterRole::bias});
    return out;
  }
};

template <>
struct OperationTraits<Linear> {
  static constexpr const char *name = "linear";
  static constexpr FusionRole fusion = FusionRole::head;
  static constexpr bool starts_stage = true;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const Linear &) { return std::nullopt; }
  static std::int64_t multiply_adds(const Linear &op, const Shape &) { return op.in_features * op.out_features; }
  static std::vector<Parameter> parameters(const Linear &op, const std::string &prefix) {
    std::vector<Parameter> out{{prefix + "weight", {op.out_features, op.in_features}, ParameterRole::weight}};
    if (op.bias) out.push_back({prefix + "bias", {op.out_features}, ParameterRole::bias});
    return out;
  }
};

template <>
struct OperationTraits<Pool2d> {
  static constexpr const char *name = "pool2d";
  static constexpr FusionRole fusion = FusionRole::stored;
  static constexpr bool starts_stage = true;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const Pool2d &op) {
    return Windows{{op.kernel.h, op.stride.h, op.padding.h, op.dilation.h, op.ceil_mode},
                   {op.kernel.w, op.stride.w, op.padding.w, op.dilation.w, op.ceil_mode}};
  }
  static std::int64_t multiply_adds(const Pool2d &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const Pool2d &, const std::string &) { return {}; }
};

template <>
struct OperationTraits<AdaptivePool2d> {
  static constexpr const char *name = "adaptive_pool2d";
  static constexpr FusionRole fusion = FusionRole::stored;
  static constexpr bool starts_stage = true;
  static constexpr bool aliases_input = false;
  // Adaptive windows depend on the input size and vary along an axis: no single Window.
  static std::optional<Windows> windows(const AdaptivePool2d &) { return std::nullopt; }
  static std::int64_t multiply_adds(const AdaptivePool2d &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const AdaptivePool2d &, const std::string &) { return {}; }
};

template <>
struct OperationTraits<BatchNorm> {
  static constexpr const char *name = "batch_norm";
  static constexpr FusionRole fusion = FusionRole::elementwise;
  static constexpr bool starts_stage = false;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const BatchNorm &) { return std::nullopt; }
  static std::int64_t multiply_adds(const BatchNorm &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const BatchNorm &op, const std::string &prefix) {
    std::vector<Parameter> out;
    if (op.affine) {
      out.push_back({prefix + "weight", {op.channels}, ParameterRole::weight});
      out.push_back({prefix + "bias", {op.channels}, ParameterRole::bias});
    }
    out.push_back({prefix + "running_mean", {op.channels}, ParameterRole::running_mean});
    out.push_back({prefix + "running_var", {op.channels}, ParameterRole::running_var});
    return out;
  }
};

template <>
struct OperationTraits<Activation> {
  static constexpr const char *name = "activation";
  static constexpr FusionRole fusion = FusionRole::elementwise;
  static constexpr bool starts_stage = false;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const Activation &) { return std::nullopt; }
  static std::int64_t multiply_adds(const Activation &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const Activation &, const std::string &) { return {}; }
};

template <>
struct OperationTraits<Softmax> {
  static constexpr const char *name = "softmax";
  static constexpr FusionRole fusion = FusionRole::stored;
  static constexpr bool starts_stage = false;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const Softmax &) { return std::nullopt; }
  static std::int64_t multiply_adds(const Softmax &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const Softmax &, const std::string &) { return {}; }
};

template <>
struct OperationTraits<Flatten> {
  static constexpr const char *name = "flatten";
  static constexpr FusionRole fusion = FusionRole::inlined;
  static constexpr bool starts_stage = false;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const Flatten &) { return std::nullopt; }
  static std::int64_t multiply_adds(const Flatten &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const Flatten &, const std::string &) { return {}; }
};

template <>
struct OperationTraits<Dropout> {
  static constexpr const char *name = "dropout";
  static constexpr FusionRole fusion = FusionRole::inlined;
  static constexpr bool starts_stage = false;
  static constexpr bool aliases_input = true;
  static std::optional<Windows> windows(const Dropout &) { return std::nullopt; }
  static std::int64_t multiply_adds(const Dropout &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const Dropout &, const std::string &) { return {}; }
};

template <>
struct OperationTraits<Identity> {
  static constexpr const char *name = "identity";
  static constexpr FusionRole fusion = FusionRole::inlined;
  static constexpr bool starts_stage = false;
  static constexpr bool aliases_input = true;
  static std::optional<Windows> windows(const Identity &) { return std::nullopt; }
  static std::int64_t multiply_adds(const Identity &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const Identity &, const std::string &) { return {}; }
};

template <>
struct OperationTraits<Add> {
  static constexpr const char *name = "add";
  static constexpr FusionRole fusion = FusionRole::join;
  static constexpr bool starts_stage = false;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const Add &) { return std::nullopt; }
  static std::int64_t multiply_adds(const Add &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const Add &, const std::string &) { return {}; }
};

// Inlined into its readers, a multiply where each reads it (ConvNeXt's layer scale inside the
// residual add), except where a convolution or linear layer reads it: cnngen's CPU schedules then
// store it (codegen/plan.hpp), since a convolution reads each input value once per block of output
// channels (squeeze-and-excitation's scaled input before the projection).
template <>
struct OperationTraits<Mul> {
  static constexpr const char *name = "mul";
  static constexpr FusionRole fusion = FusionRole::inlined;
  static constexpr bool starts_stage = false;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const Mul &) { return std::nullopt; }
  static std::int64_t multiply_adds(const Mul &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const Mul &, const std::string &) { return {}; }
};

template <>
struct OperationTraits<Concat> {
  static constexpr const char *name = "concat";
  static constexpr FusionRole fusion = FusionRole::stored;
  static constexpr bool starts_stage = false;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const Concat &) { return std::nullopt; }
  static std::int64_t multiply_adds(const Concat &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const Concat &, const std::string &) { return {}; }
};

// Index arithmetic, inlined into their readers: a reader reads the channels where they lie.
template <>
struct OperationTraits<ChannelSlice> {
  static constexpr const char *name = "channel_slice";
  static constexpr FusionRole fusion = FusionRole::inlined;
  static constexpr bool starts_stage = false;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const ChannelSlice &) { return std::nullopt; }
  static std::int64_t multiply_adds(const ChannelSlice &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const ChannelSlice &, const std::string &) { return {}; }
};

template <>
struct OperationTraits<ChannelShuffle> {
  static constexpr const char *name = "channel_shuffle";
  static constexpr FusionRole fusion = FusionRole::inlined;
  static constexpr bool starts_stage = false;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const ChannelShuffle &) { return std::nullopt; }
  static std::int64_t multiply_adds(const ChannelShuffle &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const ChannelShuffle &, const std::string &) { return {}; }
};

// Stored whole by the generic schedule: a convolution or pooling after it reads it as its input.
template <>
struct OperationTraits<Pad2d> {
  static constexpr const char *name = "pad2d";
  static constexpr FusionRole fusion = FusionRole::stored;
  static constexpr bool starts_stage = true;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const Pad2d &) { return std::nullopt; }
  static std::int64_t multiply_adds(const Pad2d &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const Pad2d &, const std::string &) { return {}; }
};

// Stored whole by the generic schedule, its mean and variance per pixel computed with each row.
template <>
struct OperationTraits<LayerNorm> {
  static constexpr const char *name = "layer_norm";
  static constexpr FusionRole fusion = FusionRole::stored;
  static constexpr bool starts_stage = true;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const LayerNorm &) { return std::nullopt; }
  static std::int64_t multiply_adds(const LayerNorm &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const LayerNorm &op, const std::string &prefix) {
    if (!op.affine) return {};
    return {{prefix + "weight", {op.channels}, ParameterRole::weight},
            {prefix + "bias", {op.channels}, ParameterRole::bias}};
  }
};

// The data stay where they are (Tensor::channels_last marks the view).
template <>
struct OperationTraits<Permute> {
  static constexpr const char *name = "permute";
  static constexpr FusionRole fusion = FusionRole::inlined;
  static constexpr bool starts_stage = false;
  static constexpr bool aliases_input = true;
  static std::optional<Windows> windows(const Permute &) { return std::nullopt; }
  static std::int64_t multiply_adds(const Permute &, const Shape &) { return 0; }
  static std::vector<Parameter> parameters(const Permute &, const std::string &) { return {}; }
};

// Read where it is used (a mul's broadcast branch): no stage of its own.
template <>
struct OperationTraits<ParameterTensor> {
  static constexpr const char *name = "parameter";
  static constexpr FusionRole fusion = FusionRole::inlined;
  static constexpr bool starts_stage = false;
  static constexpr bool aliases_input = false;
  static std::optional<Windows> windows(const ParameterTensor &) { return std::nullopt; }
  static std::int64_t multiply_adds(const ParameterTensor &, const Shape &) { return 0; }
  /// Named by the layer's path itself (`features.1.0.layer_scale`), not path + ".weight".
  static std::vector<Parameter> parameters(const ParameterTensor &op, const std::string &prefix) {
    return {{prefix.substr(0, prefix.size() - 1), op.shape, ParameterRole::weight}};
  }
};

// ---------------------------------------------------------------------------------------------
// The questions, asked of an operation.

/// The IR operation's name: graph JSON's "op" ("conv2d", "pool2d", "batch_norm", …).
inline const char *operation_name(const Operation &op) {
  return visit_operation(op, [](const auto &o) { return OperationTraits<std::decay_t<decltype(o)>>::name; });
}

inline FusionRole fusion_role(const Operation &op) {
  return visit_operation(op, [](const auto &o) { return OperationTraits<std::decay_t<decltype(o)>>::fusion; });
}

/// A convolution or linear layer: computed in tiles with its epilogue, and a batch norm that alone
/// reads it folds into its weights and bias.
inline bool is_head(const Operation &op) { return fusion_role(op) == FusionRole::head; }

/// Whether a network cut into parts may start a part with this layer (codegen/parts.hpp): it
/// computes a stage of its own from its input, so that no fusion or folding spans the cut.
inline bool starts_stage(const Operation &op) {
  return visit_operation(op, [](const auto &o) { return OperationTraits<std::decay_t<decltype(o)>>::starts_stage; });
}

/// Whether the layer is its input at inference (dropout, identity): lowering gives it no Func, and
/// its readers read its input's.
inline bool aliases_input(const Operation &op) {
  return visit_operation(op, [](const auto &o) { return OperationTraits<std::decay_t<decltype(o)>>::aliases_input; });
}

/// The height and width windows of a convolution or pooling layer; nothing for other layers.
inline std::optional<Windows> windows_of(const Operation &op) {
  return visit_operation(op, [](const auto &o) { return OperationTraits<std::decay_t<decltype(o)>>::windows(o); });
}

/// Multiply-accumulates per image of the layer whose output has shape `out`.
inline std::int64_t multiply_adds(const Operation &op, const Shape &out) {
  return visit_operation(op, [&](const auto &o) { return OperationTraits<std::decay_t<decltype(o)>>::multiply_adds(o, out); });
}

/// The state_dict entries the layer reads, each named `prefix` + its role, weight before bias.
inline std::vector<Parameter> operation_parameters(const Operation &op, const std::string &prefix) {
  return visit_operation(op, [&](const auto &o) { return OperationTraits<std::decay_t<decltype(o)>>::parameters(o, prefix); });
}

}  // namespace cnngen
