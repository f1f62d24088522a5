// The safetensors reader and the check of a weights file against a network's parameters.
#include "dsl/safetensors.hpp"

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "dsl/json.hpp"
#include "dsl/layer_arguments.hpp"

namespace cnngen {
namespace {

enum class Dtype { f32, f16, bf16, f64, i64 };

struct Entry {
  std::string name;
  Shape shape;
  Dtype dtype = Dtype::f32;
  std::uint64_t begin = 0, end = 0;
};

std::optional<Dtype> dtype_named(const std::string &name) {
  if (name == "F32") return Dtype::f32;
  if (name == "F16") return Dtype::f16;
  if (name == "BF16") return Dtype::bf16;
  if (name == "F64") return Dtype::f64;
  if (name == "I64") return Dtype::i64;
  return std::nullopt;
}

std::uint64_t element_bytes(Dtype dtype) {
  switch (dtype) {
    case Dtype::f16:
    case Dtype::bf16: return 2;
    case Dtype::f32: return 4;
    case Dtype::f64:
    case Dtype::i64: return 8;
  }
  throw std::logic_error("a dtype without a size");
}

/// IEEE half to float: every half is exactly a float (subnormal halves are normal floats).
float from_f16(std::uint16_t h) {
  const float sign = (h & 0x8000u) ? -1.0f : 1.0f;
  const std::uint32_t exponent = (h >> 10) & 0x1Fu, mantissa = h & 0x3FFu;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);
  std::uint32_t bits = (static_cast<std::uint32_t>(h & 0x8000u) << 16) | (mantissa << 13) |
                       (exponent == 31 ? 0xFFu << 23 : (exponent + 112) << 23);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// bfloat16 is the upper half of a float.
float from_bf16(std::uint16_t b) {
  std::uint32_t bits = static_cast<std::uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// Converts `count` little-endian elements of `dtype` at `bytes` to floats; returns an error
/// message for an F64 value beyond F32's range, empty otherwise.
std::string convert(const char *bytes, std::size_t count, Dtype dtype, const std::string &name,
                    std::vector<float> &out) {
  out.resize(count);
  // safetensors data is little-endian, as is every target cnngen runs on.
  if (dtype == Dtype::f32) {
    std::memcpy(out.data(), bytes, count * 4);
    return "";
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (dtype == Dtype::f16 || dtype == Dtype::bf16) {
      std::uint16_t half;
      std::memcpy(&half, bytes + 2 * i, 2);
      out[i] = dtype == Dtype::f16 ? from_f16(half) : from_bf16(half);
    } else {
      double value;
      std::memcpy(&value, bytes + 8 * i, 8);
      if (std::isfinite(value) && std::fabs(value) > FLT_MAX) {
        std::ostringstream message;
        message << "tensor '" << name << "' holds the F64 value " << value << " at element " << i
                << ", beyond the range of F32 (the type cnngen computes in)";
        return message.str();
      }
      out[i] = static_cast<float>(value);  // rounds to nearest
    }
  }
  return "";
}

/// Reads one header entry; returns an error message, empty when the entry is well formed.
std::string read_entry(const std::string &name, const json::Value &info, std::uint64_t data_size,
                       Entry &entry) {
  using Kind = json::Value::Kind;
  if (info.kind != Kind::object) return "header entry '" + name + "' is not an object";
  const json::Value *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
  for (const auto &[key, value] : info.object) {
    if (key == "dtype") dtype = &value;
    if (key == "shape") shape = &value;
    if (key == "data_offsets") offsets = &value;
  }
  if (!dtype || !shape || !offsets)
    return "tensor '" + name + "' lacks 'dtype', 'shape' or 'data_offsets' in the header";
  if (dtype->kind != Kind::string) return "tensor '" + name + "' has a malformed dtype";
  std::optional<Dtype> type = dtype_named(dtype->string);
  if (!type)
    return "tensor '" + name + "' has dtype " + dtype->string +
           "; cnngen reads F32, F16, BF16 and F64 (convert with tensor.float() before saving)";
  entry.name = name;
  entry.dtype = *type;
  std::int64_t elements = 1;
  if (shape->kind != Kind::array) return "tensor '" + name + "' has a malformed shape";
  for (const json::Value &d : shape->array) {
    if (d.kind != Kind::number || !d.is_integer || d.integer < 0 || d.integer > INT32_MAX)
      return "tensor '" + name + "' has a malformed shape";
    entry.shape.push_back(d.integer);
    if (__builtin_mul_overflow(elements, d.integer, &elements))
      return "tensor '" + name + "' has a shape too large to exist";
  }
  if (offsets->kind != Kind::array || offsets->array.size() != 2) {
    return "tensor '" + name + "' has malformed data_offsets";
  }
  for (const json::Value &o : offsets->array) {
    if (o.kind != Kind::number || !o.is_integer || o.integer < 0)
      return "tensor '" + name + "' has malformed data_offsets";
  }
  entry.begin = static_cast<std::uint64_t>(offsets->array[0].integer);
  entry.end = static_cast<std::uint64_t>(offsets->array[1].integer);
  if (entry.begin > entry.end || entry.end > data_size)
    return "tensor '" + name + "' has data_offsets [" + std::to_string(entry.begin) + ", " +
           std::to_string(entry.end) + ") outside the " + std::to_string(data_size) +
           " bytes of data";
  std::uint64_t needed = 0;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(elements), element_bytes(entry.dtype), &needed))
    return "tensor '" + name + "' has a shape too large to exist";
  if (entry.end - entry.begin != needed)
    return "tensor '" + name + "' has " + std::to_string(entry.end - entry.begin) +
           " bytes of data, but its shape " + describe(entry.shape) + " needs " +
           std::to_string(needed);
  return "";
}

/// The name of a tensor in `weights` that no layer uses and that has `shape`, if there is exactly
/// one: the likely intended tensor when a name does not match.
std::string tensor_with_shape(const TensorFile &weights, const Shape &shape,
                              const std::set<std::string, std::less<>> &used) {
  std::string found;
  for (const auto &[name, tensor] : weights) {
    if (tensor.shape != shape || used.count(name)) continue;
    if (!found.empty()) return "";
    found = name;
  }
  return found;
}

/// The unused tensor of `shape` whose name is a plausible misspelling of `name` (RegNet's
/// 'block1-0' written 'block1_0'), else empty.
std::string near_twin(const TensorFile &weights, const std::string &name, const Shape &shape,
                      const std::set<std::string, std::less<>> &used) {
  std::vector<std::string_view> candidates;
  for (const auto &[other, tensor] : weights) {
    if (tensor.shape == shape && !used.count(other)) candidates.push_back(other);
  }
  return closest_match(name, candidates);
}

/// The last part of a parameter's name: "weight" of "features.3.squeeze.weight".
std::string role_of(const std::string &name) { return name.substr(name.rfind('.') + 1); }

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

/// The prefix (ending in '.') under which `weights` holds `name` ("module." for
/// "module.fc.weight"), or empty if none: a part of the prefix all the file's names share when
/// one fits, else the shortest prefix that does. Linear in the file's names.
std::string prefix_holding(const TensorFile &weights, const std::string &name) {
  if (weights.empty()) return "";
  // The names are sorted, so the first and the last share what all of them share.
  const std::string &first = weights.begin()->first, &last = weights.rbegin()->first;
  std::size_t common = 0;
  while (common < first.size() && common < last.size() && first[common] == last[common]) ++common;
  // Real prefixes have a few parts ("module.", "model.backbone."); a hostile file's are not tried.
  constexpr int kMaxParts = 8;
  int parts = 0;
  for (std::size_t dot = first.find('.'); dot != std::string::npos && dot < common && parts++ < kMaxParts;
       dot = first.find('.', dot + 1)) {
    std::string prefix = first.substr(0, dot + 1);
    if (weights.count(prefix + name)) return prefix;
  }
  std::string best;
  for (const auto &[file_name, tensor] : weights) {
    if (file_name.size() <= name.size() + 1) continue;
    std::size_t cut = file_name.size() - name.size();
    if (file_name[cut - 1] != '.' || file_name.compare(cut, std::string::npos, name) != 0) continue;
    if (best.empty() || cut < best.size()) best = file_name.substr(0, cut);
  }
  return best;
}

}  // namespace

std::optional<TensorFile> read_safetensors(const std::string &path, Diagnostics &diagnostics) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    diagnostics.error_in(path, std::string("cannot open the weights file: ") + std::strerror(errno));
    return std::nullopt;
  }
  auto size = static_cast<std::uint64_t>(in.tellg());
  if (size > kMaxWeightsBytes) {
    diagnostics.error_in(path, "the weights file is " + std::to_string(size) +
                                   " bytes, more than cnngen's limit of " +
                                   std::to_string(kMaxWeightsBytes));
    return std::nullopt;
  }
  std::string bytes(size, '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
    diagnostics.error_in(path, "cannot read the weights file");
    return std::nullopt;
  }
  return parse_safetensors(bytes, path, diagnostics);
}

std::optional<TensorFile> parse_safetensors(std::string_view bytes, const std::string &path,
                                            Diagnostics &diagnostics) {
  const std::uint64_t size = bytes.size();
  auto fail = [&](const std::string &message) {
    diagnostics.error_in(path, message);
    return std::nullopt;
  };
  if (size < 8) return fail("not a safetensors file: " + std::to_string(size) + " bytes is too short");
  std::uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = header_size << 8 | static_cast<unsigned char>(bytes[i]);
  if (header_size > size - 8)
    return fail("not a safetensors file, or truncated: the header claims " +
                std::to_string(header_size) + " bytes, but only " + std::to_string(size - 8) +
                " follow");
  std::string error;
  auto header = json::parse(bytes.substr(8, header_size), error);
  if (!header) return fail("malformed safetensors header: " + error);
  if (header->kind != json::Value::Kind::object)
    return fail("malformed safetensors header: not a JSON object");

  std::uint64_t data_size = size - 8 - header_size;
  std::vector<Entry> entries;
  for (const auto &[name, info] : header->object) {
    if (name == "__metadata__") continue;
    Entry entry;
    std::string problem = read_entry(name, info, data_size, entry);
    if (!problem.empty()) return fail(problem);
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry &a, const Entry &b) { return a.begin < b.begin; });
  TensorFile tensors;
  const Entry *furthest = nullptr;  // of the tensors so far, the one whose data ends last
  for (const Entry &e : entries) {
    if (e.begin == e.end) {
      // An empty tensor occupies no bytes and overlaps nothing.
    } else if (furthest && e.begin < furthest->end) {
      return fail("tensors '" + furthest->name + "' and '" + e.name + "' overlap in the data");
    } else {
      furthest = &e;
    }
    WeightTensor tensor{e.shape, {}, e.dtype == Dtype::i64};
    if (!tensor.integer && e.end > e.begin) {
      std::string problem = convert(bytes.data() + 8 + header_size + e.begin,
                                    (e.end - e.begin) / element_bytes(e.dtype), e.dtype, e.name, tensor.data);
      if (!problem.empty()) return fail(problem);
    }
    if (!tensors.emplace(e.name, std::move(tensor)).second)
      return fail("tensor '" + e.name + "' appears twice in the header");
  }
  return tensors;
}

std::optional<TensorFile> strip_prefix(TensorFile weights, const std::string &prefix,
                                       const std::string &path, Diagnostics &diagnostics) {
  TensorFile stripped;
  bool any = false;
  for (auto &[name, tensor] : weights) {
    bool has = starts_with(name, prefix) && name.size() > prefix.size();
    any |= has;
    std::string key = has ? name.substr(prefix.size()) : name;
    if (stripped.count(key)) {
      diagnostics.error_in(path, "tensor '" + name + "' is named '" + key + "' without the prefix '" +
                                     prefix + "', as another tensor is");
      return std::nullopt;
    }
    stripped.emplace(std::move(key), std::move(tensor));
  }
  if (!any && !weights.empty()) {
    diagnostics.error_in(path, "--weights-prefix " + prefix + " given, but no tensor name in the file starts with it")
        .note("its first tensor is '" + weights.begin()->first + "'");
    return std::nullopt;
  }
  return stripped;
}

bool check_weights(const Network &network, const TensorFile &weights, const std::string &path,
                   Diagnostics &diagnostics) {
  std::set<std::string, std::less<>> used, ignored;
  for (const Node &node : network.nodes) {
    for (const Parameter &parameter : parameters(node)) used.insert(parameter.name);
    for (std::string &entry : ignored_entries(node)) ignored.insert(std::move(entry));
  }
  // Missing tensors the file holds under a prefix: one help line says so when the prefix is the
  // same for all, and their prefixed names (and prefixed ignored entries) are not warned about.
  std::map<std::string, std::string> prefix_of;  // missing parameter → the prefix holding it
  std::set<std::string> prefixes;
  for (const Node &node : network.nodes) {
    for (const Parameter &parameter : parameters(node)) {
      if (weights.count(parameter.name)) continue;
      std::string prefix = prefix_holding(weights, parameter.name);
      prefix_of[parameter.name] = prefix;
      if (!prefix.empty()) prefixes.insert(prefix);
    }
  }
  const bool one_prefix = prefixes.size() == 1 &&
                          std::all_of(prefix_of.begin(), prefix_of.end(),
                                      [](const auto &entry) { return !entry.second.empty(); });
  auto explained = [&](const std::string &name) {
    for (const std::string &prefix : prefixes) {
      if (!starts_with(name, prefix)) continue;
      std::string rest = name.substr(prefix.size());
      auto missing = prefix_of.find(rest);
      if ((missing != prefix_of.end() && missing->second == prefix) || ignored.count(rest)) return true;
    }
    return false;
  };

  // A layer line inside a definition misses its tensor in every instance: one error, for the
  // first, and the others as notes (the instances' names, at most kShown of them).
  constexpr std::size_t kShown = 3;
  std::map<std::pair<std::size_t, std::string>, std::vector<std::string>> same_line;  // (line, role) → names
  for (const Node &node : network.nodes) {
    for (const Parameter &parameter : parameters(node)) {
      if (!weights.count(parameter.name) && prefix_of[parameter.name].empty())
        same_line[{node.range.begin, role_of(parameter.name)}].push_back(parameter.name);
    }
  }
  bool ok = true, prefix_told = false;
  for (const Node &node : network.nodes) {
    for (const Parameter &parameter : parameters(node)) {
      auto found = weights.find(parameter.name);
      if (found == weights.end()) {
        ok = false;
        const std::string &prefix = prefix_of[parameter.name];
        if (one_prefix && prefix_told) continue;
        const std::vector<std::string> *alike =
            prefix.empty() ? &same_line[{node.range.begin, role_of(parameter.name)}] : nullptr;
        if (alike && alike->front() != parameter.name) continue;  // told with the first
        Diagnostic &d = diagnostics.error(node.range, describe(node) + " needs tensor '" +
                                                          parameter.name + "' (" +
                                                          describe(parameter.shape) + "), which " +
                                                          path + " does not have");
        if (alike && alike->size() > 1) {
          std::string others;
          for (std::size_t k = 1; k < alike->size() && k <= kShown; ++k) others += (k > 1 ? ", '" : "'") + (*alike)[k] + "'";
          if (alike->size() > kShown + 1) others += " and " + std::to_string(alike->size() - kShown - 1) + " more";
          d.note("this line misses its tensor in every instance: also " + others);
        }
        if (!prefix.empty()) {
          d.with_help("the file names it '" + prefix + parameter.name + "': pass --weights-prefix " + prefix);
          if (one_prefix && prefix_of.size() > 1)
            d.note(prefix_of.size() == 2
                       ? std::string("the file holds the network's other missing tensor under the same prefix")
                       : "the file holds the network's other " + std::to_string(prefix_of.size() - 1) +
                             " missing tensors under the same prefix");
          prefix_told = true;
          continue;
        }
        d.note(std::string("a layer's tensors are named after the layer ('fc1.weight'), or after its "
                           "index among the layer lines when it has no name ('7.weight'), as in "
                           "nn.Sequential") +
               (node.scope.empty() ? "" : "; inside blocks, after the blocks around it ('" + node.scope + "')"));
        const std::string twin = near_twin(weights, parameter.name, parameter.shape, used);
        const std::string same_shape = tensor_with_shape(weights, parameter.shape, used);
        if (!twin.empty())
          d.with_help("did you mean the file's '" + twin + "'? It has this shape and no layer uses it");
        else if (!same_shape.empty())
          d.with_help("the file's unused tensor '" + same_shape + "' has this shape");
      } else if (found->second.integer) {
        diagnostics
            .error(node.range, "tensor '" + parameter.name + "' in " + path + " holds I64 integers, but " +
                                   describe(node) + " needs floating-point values")
            .note("cnngen reads F32, F16, BF16 and F64 tensors (convert with tensor.float() before saving)");
        ok = false;
      } else if (found->second.shape != parameter.shape) {
        diagnostics
            .error(node.range, "tensor '" + parameter.name + "' in " + path + " is " +
                                   describe(found->second.shape) + ", but " + describe(node) +
                                   " needs " + describe(parameter.shape))
            .note(std::holds_alternative<BatchNorm>(node.op)
                      ? "batch norm's weight, bias, running_mean and running_var hold one value per channel"
                  : parameter.role == ParameterRole::bias
                      ? "a bias holds one value per output"
                      : "PyTorch lays out weights as out×in for linear and "
                        "out×(in/groups)×kh×kw for conv2d");
        ok = false;
      }
    }
  }
  for (const auto &[name, tensor] : weights) {
    if (used.count(name) || ignored.count(name) || explained(name)) continue;
    // Of any dtype cnngen reads: an auxiliary head inference never runs (googlenet's aux1, with
    // its batch norms' I64 num_batches_tracked) is the model's business, not an error.
    const std::string shape = tensor.shape.empty() ? "a scalar" : describe(tensor.shape);
    diagnostics.warning_in(path, "tensor '" + name + "' (" + std::string(tensor.integer ? "I64, " : "") + shape +
                                     ") is not used by any layer",
                           {"unused-tensor", true});
  }
  return ok;
}

}  // namespace cnngen
