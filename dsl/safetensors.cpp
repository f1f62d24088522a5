// The safetensors reader and the check of a weights file against a network's parameters.
#include "dsl/safetensors.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "dsl/json.hpp"

namespace cnngen {
namespace {

struct Entry {
  std::string name;
  Shape shape;
  std::uint64_t begin = 0, end = 0;
};

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
  if (dtype->string != "F32")
    return "tensor '" + name + "' has dtype " + dtype->string +
           "; cnngen reads F32 only (convert with tensor.float() before saving)";
  entry.name = name;
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
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(elements), std::uint64_t{4}, &needed))
    return "tensor '" + name + "' has a shape too large to exist";
  if (entry.end - entry.begin != needed)
    return "tensor '" + name + "' has " + std::to_string(entry.end - entry.begin) +
           " bytes of data, but its shape " + describe(entry.shape) + " needs " +
           std::to_string(needed);
  return "";
}

bool used_by(const Network &network, const std::string &name) {
  for (const Node &node : network.nodes) {
    for (const Parameter &parameter : parameters(node)) {
      if (parameter.name == name) return true;
    }
  }
  return false;
}

/// The name of a tensor in `weights` that no layer uses and that has `shape`, if there is exactly
/// one: the likely intended tensor when a name does not match.
std::string tensor_with_shape(const TensorFile &weights, const Shape &shape, const Network &network) {
  std::string found;
  for (const auto &[name, tensor] : weights) {
    if (tensor.shape != shape || used_by(network, name)) continue;
    if (!found.empty()) return "";
    found = name;
  }
  return found;
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
    WeightTensor tensor{e.shape, std::vector<float>((e.end - e.begin) / 4)};
    // safetensors data is little-endian, as is every target cnngen runs on.
    if (e.end > e.begin) {
      std::memcpy(tensor.data.data(), bytes.data() + 8 + header_size + e.begin, e.end - e.begin);
    }
    if (!tensors.emplace(e.name, std::move(tensor)).second)
      return fail("tensor '" + e.name + "' appears twice in the header");
  }
  return tensors;
}

bool check_weights(const Network &network, const TensorFile &weights, const std::string &path,
                   Diagnostics &diagnostics) {
  bool ok = true;
  for (const Node &node : network.nodes) {
    for (const Parameter &parameter : parameters(node)) {
      auto found = weights.find(parameter.name);
      if (found == weights.end()) {
        Diagnostic &d = diagnostics.error(node.range, describe(node) + " needs tensor '" +
                                                          parameter.name + "' (" +
                                                          describe(parameter.shape) + "), which " +
                                                          path + " does not have");
        d.note("a layer's tensors are named after the layer ('fc1.weight'), or after its index "
               "among the layer lines when it has no name ('7.weight'), as in nn.Sequential");
        std::string same_shape = tensor_with_shape(weights, parameter.shape, network);
        if (!same_shape.empty())
          d.with_help("the file's unused tensor '" + same_shape + "' has this shape");
        ok = false;
      } else if (found->second.shape != parameter.shape) {
        diagnostics
            .error(node.range, "tensor '" + parameter.name + "' in " + path + " is " +
                                   describe(found->second.shape) + ", but " + describe(node) +
                                   " needs " + describe(parameter.shape))
            .note(parameter.name.substr(parameter.name.rfind('.') + 1) == "bias"
                      ? "a bias holds one value per output"
                      : "PyTorch lays out weights as out×in for linear and "
                        "out×(in/groups)×kh×kw for conv2d");
        ok = false;
      }
    }
  }
  for (const auto &[name, tensor] : weights) {
    if (!used_by(network, name)) {
      diagnostics.warning_in(path, "tensor '" + name + "' (" + describe(tensor.shape) +
                                       ") is not used by any layer");
    }
  }
  return ok;
}

}  // namespace cnngen
