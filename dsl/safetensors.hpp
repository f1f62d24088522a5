// Reads weights from a safetensors file: an 8-byte little-endian header size, a JSON header
// naming each tensor's dtype, shape and byte range, then the raw data.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/diagnostics.hpp"
#include "dsl/network.hpp"

namespace cnngen {

struct WeightTensor {
  Shape shape;  // as PyTorch's tensor.shape
  std::vector<float> data;
};

using TensorFile = std::map<std::string, WeightTensor, std::less<>>;

/// Largest weights file read: far above any D2L network, low enough to never exhaust memory.
constexpr std::size_t kMaxWeightsBytes = std::size_t{4} << 30;

/// Reads every tensor of the file at `path`. Only F32 tensors are accepted. Every problem with the
/// file (unreadable, truncated, malformed header, bad dtype, offsets out of range or overlapping)
/// is reported against `path` and yields nothing.
std::optional<TensorFile> read_safetensors(const std::string &path, Diagnostics &diagnostics);

/// The same for the bytes of a file already in memory; `path` names it in diagnostics.
std::optional<TensorFile> parse_safetensors(std::string_view bytes, const std::string &path,
                                            Diagnostics &diagnostics);

/// Checks that `weights` holds every parameter of `network` with PyTorch's shape; reports missing
/// and misshapen tensors at their layer's line, and warns about tensors no layer uses.
bool check_weights(const Network &network, const TensorFile &weights, const std::string &path,
                   Diagnostics &diagnostics);

}  // namespace cnngen
