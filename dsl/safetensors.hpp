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
  std::vector<float> data;  // F16, BF16 and F64 tensors converted to F32; empty for I64 ones
  bool integer = false;     // an I64 tensor, accepted only for entries inference ignores
};

using TensorFile = std::map<std::string, WeightTensor, std::less<>>;

/// Largest weights file read: far above any D2L network, low enough to never exhaust memory.
constexpr std::size_t kMaxWeightsBytes = std::size_t{4} << 30;

/// Reads every tensor of the file at `path`. F32 tensors are read as they are, F16 and BF16 ones
/// widened exactly and F64 ones rounded to the nearest float; I64 tensors are kept without their
/// values (check_weights accepts them only for BatchNorm's num_batches_tracked). Every problem
/// with the file (unreadable, truncated, malformed header, other dtypes, offsets out of range or
/// overlapping, F64 values beyond F32's range) is reported against `path` and yields nothing.
std::optional<TensorFile> read_safetensors(const std::string &path, Diagnostics &diagnostics);

/// The same for the bytes of a file already in memory; `path` names it in diagnostics.
std::optional<TensorFile> parse_safetensors(std::string_view bytes, const std::string &path,
                                            Diagnostics &diagnostics);

/// Writes `weights` to `path` as F32 safetensors (integer tensors left out), through a temporary
/// file renamed into place so that a failure leaves no partial file; false and `error` on failure.
bool write_safetensors(const TensorFile &weights, const std::string &path, std::string &error);

/// Removes `prefix` from the names of the tensors that start with it (--weights-prefix: D2L's
/// `net.`, DataParallel's `module.`); reports an error against `path` when no name starts with it.
std::optional<TensorFile> strip_prefix(TensorFile weights, const std::string &prefix,
                                       const std::string &path, Diagnostics &diagnostics);

/// Checks that `weights` holds every parameter of `network` with PyTorch's shape, as floats;
/// reports missing, misshapen and integer tensors at their layer's line (suggesting
/// --weights-prefix when the file holds a missing tensor under a prefix), and warns about tensors
/// no layer uses (-Wunused-tensor). ignored_entries() are accepted and ignored.
bool check_weights(const Network &network, const TensorFile &weights, const std::string &path,
                   Diagnostics &diagnostics);

}  // namespace cnngen
