// Reading an ONNX graph: constants, shapes, and the folding of shape arithmetic (onnx_graph.hpp).
#include "onnx/onnx_graph.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <set>

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

namespace cnngen::onnx_import {
namespace {

/// Above this many elements a tensor is refused: no CNN's layer comes near, and a hostile file
/// cannot make the importer allocate without bound.
constexpr std::int64_t kMaxElements = std::int64_t{1} << 30;

template <typename T>
std::vector<T> raw_values(const std::string &raw) {
  std::vector<T> values(raw.size() / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), raw.data(), values.size() * sizeof(T));
  return values;
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalize
    int shift = 0;
    std::uint32_t m = mantissa;
    while (!(m & 0x400)) m <<= 1, ++shift;
    bits = sign | static_cast<std::uint32_t>(113 - shift) << 23 | ((m & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

std::vector<std::int64_t> shape_of(const onnx::TypeProto &type, bool &has_shape) {
  std::vector<std::int64_t> shape;
  has_shape = type.has_tensor_type() && type.tensor_type().has_shape();
  if (!has_shape) return shape;
  for (const auto &dim : type.tensor_type().shape().dim()) {
    shape.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value() : -1);
  }
  return shape;
}

Constant integers(std::vector<std::int64_t> values, std::vector<std::int64_t> dims) {
  Constant c;
  c.integer = true;
  c.ints = std::move(values);
  c.dims = std::move(dims);
  return c;
}

/// Constant `x` transposed by `perm` (reversed where it is empty, as ONNX's default), or nothing
/// where `perm` is not a permutation of its dimensions: a weight an exporter transposes
/// (x @ W.t() as Transpose then MatMul).
std::optional<Constant> transposed(const Constant &x, std::vector<std::int64_t> perm) {
  const std::size_t rank = x.dims.size();
  if (perm.empty()) {
    for (std::size_t d = rank; d-- > 0;) perm.push_back(static_cast<std::int64_t>(d));
  }
  std::vector<std::int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t d = 0; d < rank; ++d) {
    if (sorted.size() != rank || sorted[d] != static_cast<std::int64_t>(d)) return std::nullopt;
  }
  Constant out = x;
  std::vector<std::int64_t> strides(rank, 1);  // of x
  for (std::size_t d = rank; d-- > 1;) strides[d - 1] = strides[d] * x.dims[d];
  for (std::size_t d = 0; d < rank; ++d) out.dims[d] = x.dims[static_cast<std::size_t>(perm[d])];
  std::vector<std::int64_t> index(rank, 0);  // in out
  for (std::size_t i = 0; i < x.count(); ++i) {
    std::size_t from = 0;
    for (std::size_t d = 0; d < rank; ++d) from += static_cast<std::size_t>(index[d] * strides[static_cast<std::size_t>(perm[d])]);
    if (x.integer) out.ints[i] = x.ints[from];
    else out.floats[i] = x.floats[from];
    for (std::size_t d = rank; d-- > 0;) {  // the next index, last dimension fastest
      if (++index[d] < out.dims[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/// The output of shape-arithmetic node `node`, given its inputs' values, or nothing where it is
/// not one the importer folds (or its inputs are not all known).
std::optional<Constant> fold(const onnx::NodeProto &node, const std::vector<const Value *> &in, std::string &why) {
  const std::string &op = node.op_type();
  auto constant = [&](std::size_t i) -> const Constant * {
    return i < in.size() && in[i] && in[i]->constant ? &*in[i]->constant : nullptr;
  };
  if (op == "Constant") {
    const onnx::AttributeProto *value = attribute(node, "value");
    if (value && value->has_t()) return read_tensor(value->t(), why);
    if (const auto *a = attribute(node, "value_ints")) return integers({a->ints().begin(), a->ints().end()}, {a->ints_size()});
    if (const auto *a = attribute(node, "value_int")) return integers({a->i()}, {});
    if (const auto *a = attribute(node, "value_float")) {
      Constant c;
      c.floats = {a->f()};
      return c;
    }
    why = "a Constant without a tensor, ints, int or float value";
    return std::nullopt;
  }
  if (op == "Shape") {
    if (in.empty() || !in[0] || !in[0]->has_shape) return std::nullopt;
    std::vector<std::int64_t> dims = in[0]->shape;
    if (!dims.empty()) dims[0] = kFreeBatch;
    for (std::int64_t d : dims) {
      if (d == -1) return std::nullopt;
    }
    return integers(dims, {static_cast<std::int64_t>(dims.size())});
  }
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (!node.input(static_cast<int>(i)).empty() && !constant(i)) return std::nullopt;
  }
  const Constant *x = constant(0);
  if (!x) return std::nullopt;
  if (op == "Identity") return *x;
  if (op == "Cast") {
    const std::int64_t to = int_attribute(node, "to", 0);
    const bool to_integer = to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32;
    if (to_integer && x->integer) return *x;
    if (!to_integer && to != onnx::TensorProto::FLOAT && to != onnx::TensorProto::DOUBLE) return std::nullopt;
    Constant c;
    c.dims = x->dims;
    if (to_integer) {
      for (float v : x->floats) c.ints.push_back(static_cast<std::int64_t>(v));  // ONNX truncates
      c.integer = true;
    } else if (x->integer) {
      for (std::int64_t v : x->ints) {
        if (v == kFreeBatch) return std::nullopt;
        c.floats.push_back(static_cast<float>(v));
      }
    } else {
      c.floats = x->floats;
    }
    return c;
  }
  if (op == "Transpose") return transposed(*x, ints_attribute(node, "perm"));
  if (!x->integer) return std::nullopt;
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    // Integer arithmetic on shapes (ShuffleNet's `channels // groups`): element by element, one
    // side broadcast where it has one value; the free batch only through ×1 and ÷1.
    const Constant *y = constant(1);
    if (!y || !y->integer || (x->count() != y->count() && y->count() != 1 && x->count() != 1)) return std::nullopt;
    const Constant &shape = x->count() >= y->count() ? *x : *y;
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < shape.count(); ++i) {
      const std::int64_t a = x->ints[x->count() == 1 ? 0 : i], b = y->ints[y->count() == 1 ? 0 : i];
      if (a == kFreeBatch || b == kFreeBatch) {
        if ((op == "Mul" || op == "Div") && b == 1) {
          out.push_back(a);
          continue;
        }
        return std::nullopt;
      }
      std::int64_t r = 0;
      const bool overflow = op == "Add"   ? __builtin_add_overflow(a, b, &r)
                            : op == "Sub" ? __builtin_sub_overflow(a, b, &r)
                            : op == "Mul" ? __builtin_mul_overflow(a, b, &r)
                                          : (b == 0 || (a == std::numeric_limits<std::int64_t>::min() && b == -1));
      if (overflow) return std::nullopt;  // left to the node's own diagnostic
      out.push_back(op == "Div" ? a / b : r);
    }
    return integers(out, shape.dims);
  }
  if (op == "Gather") {
    const Constant *indices = constant(1);
    if (!indices || !indices->integer || x->dims.size() != 1 || int_attribute(node, "axis", 0) != 0) return std::nullopt;
    std::vector<std::int64_t> out;
    const auto size = static_cast<std::int64_t>(x->ints.size());
    for (std::int64_t index : indices->ints) {
      if (index < 0) index += size;
      if (index < 0 || index >= size) return std::nullopt;
      out.push_back(x->ints[static_cast<std::size_t>(index)]);
    }
    return integers(out, indices->dims);
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    // Only on scalars and vectors: what shape arithmetic holds.
    std::vector<std::int64_t> axes = ints_attribute(node, "axes");
    if (const Constant *a = constant(1)) axes = a->ints;
    if (op == "Unsqueeze" && x->dims.empty() && axes.size() == 1 && (axes[0] == 0 || axes[0] == -1))
      return integers(x->ints, {1});
    if (op == "Squeeze" && x->dims.size() == 1 && x->ints.size() == 1) return integers(x->ints, {});
    return std::nullopt;
  }
  if (op == "Concat") {
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < in.size(); ++i) {
      const Constant *c = constant(i);
      if (!c || !c->integer || c->dims.size() != 1) return std::nullopt;
      out.insert(out.end(), c->ints.begin(), c->ints.end());
    }
    return integers(out, {static_cast<std::int64_t>(out.size())});
  }
  return std::nullopt;
}

void infer_shapes(onnx::ModelProto &model) {
  try {
    onnx::shape_inference::InferShapes(model);
  } catch (const std::exception &) {
    // A graph ONNX cannot infer still imports where the importer needs no shape; where it needs
    // one, the node is reported then.
  }
}

}  // namespace

std::optional<Constant> read_tensor(const onnx::TensorProto &tensor, std::string &why) {
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    why = "its data is in an external file, which cnngen does not read";
    return std::nullopt;
  }
  Constant c;
  std::int64_t count = 1;
  for (std::int64_t d : tensor.dims()) {
    if (d < 0 || d > kMaxElements || count * std::max<std::int64_t>(d, 1) > kMaxElements) {
      why = "its dimensions are negative or too large";
      return std::nullopt;
    }
    c.dims.push_back(d);
    count *= d;
  }
  const std::string &raw = tensor.raw_data();
  using T = onnx::TensorProto;
  switch (tensor.data_type()) {
    case T::FLOAT:
      c.floats = tensor.has_raw_data() ? raw_values<float>(raw) : std::vector<float>(tensor.float_data().begin(), tensor.float_data().end());
      break;
    case T::DOUBLE: {
      std::vector<double> d = tensor.has_raw_data() ? raw_values<double>(raw)
                                                    : std::vector<double>(tensor.double_data().begin(), tensor.double_data().end());
      c.floats.assign(d.begin(), d.end());
      break;
    }
    case T::FLOAT16: {
      std::vector<std::uint16_t> h;
      if (tensor.has_raw_data()) h = raw_values<std::uint16_t>(raw);
      else for (std::int32_t v : tensor.int32_data()) h.push_back(static_cast<std::uint16_t>(v));
      for (std::uint16_t v : h) c.floats.push_back(half_to_float(v));
      break;
    }
    case T::INT64:
      c.integer = true;
      c.ints = tensor.has_raw_data() ? raw_values<std::int64_t>(raw)
                                     : std::vector<std::int64_t>(tensor.int64_data().begin(), tensor.int64_data().end());
      break;
    case T::INT32: {
      c.integer = true;
      std::vector<std::int32_t> v = tensor.has_raw_data() ? raw_values<std::int32_t>(raw)
                                                          : std::vector<std::int32_t>(tensor.int32_data().begin(), tensor.int32_data().end());
      c.ints.assign(v.begin(), v.end());
      break;
    }
    default:
      why = "its element type (" + onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(tensor.data_type())) +
            ") is not float32, float64, float16, int64 or int32";
      return std::nullopt;
  }
  if (static_cast<std::int64_t>(c.count()) != count) {
    why = "it holds " + std::to_string(c.count()) + " values for " + std::to_string(count) + " elements";
    return std::nullopt;
  }
  return c;
}

const onnx::AttributeProto *attribute(const onnx::NodeProto &node, const char *name) {
  for (const auto &a : node.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

std::int64_t int_attribute(const onnx::NodeProto &node, const char *name, std::int64_t fallback) {
  const onnx::AttributeProto *a = attribute(node, name);
  return a ? a->i() : fallback;
}

float float_attribute(const onnx::NodeProto &node, const char *name, float fallback) {
  const onnx::AttributeProto *a = attribute(node, name);
  return a ? a->f() : fallback;
}

std::string string_attribute(const onnx::NodeProto &node, const char *name, const std::string &fallback) {
  const onnx::AttributeProto *a = attribute(node, name);
  return a ? a->s() : fallback;
}

std::vector<std::int64_t> ints_attribute(const onnx::NodeProto &node, const char *name) {
  const onnx::AttributeProto *a = attribute(node, name);
  return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end()) : std::vector<std::int64_t>{};
}

std::string describe(const onnx::NodeProto &node) {
  return node.name().empty() ? node.op_type() : node.op_type() + " '" + node.name() + "'";
}

std::int64_t default_opset(const onnx::ModelProto &model) {
  std::int64_t opset = 0;
  for (const auto &import : model.opset_import()) {
    if (import.domain().empty() || import.domain() == "ai.onnx") opset = import.version();
  }
  return opset;
}

std::string faults_onnx_inference(const onnx::GraphProto &graph) {
  for (const onnx::NodeProto &node : graph.node()) {
    if (node.op_type() == "SplitToSequence") return describe(node) + ": cnngen imports no sequence operators";
    for (const onnx::AttributeProto &a : node.attribute()) {
      if (a.name() == "strides") {
        for (std::int64_t s : a.ints()) {
          if (s < 1) return describe(node) + ": its strides must be positive, and one is " + std::to_string(s);
        }
      }
      for (const onnx::GraphProto &body : a.graphs()) {
        if (std::string why = faults_onnx_inference(body); !why.empty()) return why;
      }
      if (a.has_g()) {
        if (std::string why = faults_onnx_inference(a.g()); !why.empty()) return why;
      }
    }
  }
  return "";
}

std::optional<Graph> read_graph(onnx::ModelProto &model, const std::string &file, Diagnostics &diagnostics) {
  const std::size_t errors = diagnostics.error_count();
  Graph graph;
  graph.opset = default_opset(model);
  if (graph.opset < 13 || graph.opset > 17) {
    diagnostics.error_in(file, "the model imports opset " + std::to_string(graph.opset) +
                                   " of ONNX's operators; cnngen maps opsets 13 to 17 (older ones converted)")
        .with_help("convert it first: onnx.version_converter.convert_version(model, 13)");
    return std::nullopt;
  }
  infer_shapes(model);
  onnx::GraphProto &proto = *model.mutable_graph();

  // Folding may give the shapes inference could not see (a Reshape's target): fold, turn what
  // was folded into initializers, and infer again, until nothing new folds.
  std::set<std::string> folded_names;
  // Each round may give the shapes the next block's arithmetic needs (ShuffleNetV2: one round a
  // block); at most kRounds.
  constexpr int kRounds = 64;
  for (int round = 0; round < kRounds; ++round) {
    graph.values.clear();
    for (const auto &init : proto.initializer()) {
      std::string why;
      Value &v = graph.values[init.name()];
      v.constant = read_tensor(init, why);
      if (!v.constant) diagnostics.error_in(file, "initializer '" + init.name() + "' cannot be read: " + why);
      else v.shape = v.constant->dims, v.has_shape = true;
    }
    auto record = [&](const onnx::ValueInfoProto &info) {
      Value &v = graph.values[info.name()];
      if (!v.has_shape) v.shape = shape_of(info.type(), v.has_shape);
    };
    for (const auto &info : proto.input()) record(info);
    for (const auto &info : proto.value_info()) record(info);
    for (const auto &info : proto.output()) record(info);
    graph.nodes.clear();
    graph.folded.clear();
    bool changed = false;
    for (int i = 0; i < proto.node_size(); ++i) {
      const onnx::NodeProto &node = proto.node(i);
      std::vector<const Value *> in;
      for (const std::string &name : node.input()) {
        auto found = graph.values.find(name);
        in.push_back(name.empty() || found == graph.values.end() ? nullptr : &found->second);
      }
      std::string why;
      std::optional<Constant> out = node.output_size() == 1 ? fold(node, in, why) : std::nullopt;
      if (!why.empty()) diagnostics.error_in(file, describe(node) + ": " + why);
      const int index = static_cast<int>(graph.nodes.size());
      graph.nodes.push_back(&node);
      graph.folded.push_back(out.has_value());
      for (const std::string &name : node.input()) {
        if (name.empty()) continue;
        auto found = graph.values.find(name);
        if (found == graph.values.end()) {
          diagnostics.error_in(file, describe(node) + " reads '" + name +
                                         "', which no earlier node, graph input or initializer gives");
          continue;
        }
        found->second.consumers.push_back(index);
      }
      const bool refolded = out && folded_names.count(node.output(0));  // an initializer since the last round
      for (const std::string &name : node.output()) {
        Value &v = graph.values[name];
        if (v.producer >= 0 || (v.constant && !refolded)) {
          diagnostics.error_in(file, describe(node) + " writes '" + name + "', which is already defined");
          continue;
        }
        v.producer = index;
      }
      if (out) {
        Value &v = graph.values[node.output(0)];
        v.constant = std::move(out);
        v.shape = v.constant->dims;
        v.has_shape = true;
        changed |= folded_names.insert(node.output(0)).second;
      }
    }
    if (diagnostics.error_count() > errors || round + 1 == kRounds || !changed) break;
    // Hand what was folded to shape inference as initializers (integer ones only: those are
    // what Reshape reads), then read the graph again. The free batch first becomes 0, Reshape's
    // "as the input's" (its input's first dimension is the batch too), elsewhere -1, "whatever
    // is left", where that is the only one.
    for (const std::string &name : folded_names) {
      Constant c = *graph.values[name].constant;
      if (!c.integer) continue;
      int inferred = 0;
      for (std::size_t i = 0; i < c.ints.size(); ++i) {
        if (c.ints[i] == kFreeBatch) c.ints[i] = i == 0 ? 0 : -1;
        inferred += c.ints[i] == -1;
      }
      if (inferred > 1) continue;
      bool present = false;
      for (const auto &init : proto.initializer()) present |= init.name() == name;
      if (present) continue;
      onnx::TensorProto *t = proto.add_initializer();
      t->set_name(name);
      t->set_data_type(onnx::TensorProto::INT64);
      for (std::int64_t d : c.dims) t->add_dims(d);
      for (std::int64_t v : c.ints) t->add_int64_data(v);
    }
    infer_shapes(model);
  }
  if (diagnostics.error_count() > errors) return std::nullopt;

  // One data input (the graph inputs that are not initializers), one output.
  std::vector<std::string> inputs;
  for (const auto &info : proto.input()) {
    if (!graph.values[info.name()].constant) inputs.push_back(info.name());
  }
  if (inputs.size() != 1) {
    diagnostics.error_in(file, "the graph has " + std::to_string(inputs.size()) +
                                   " inputs that are not initializers; cnngen compiles networks of one input")
        .with_help(inputs.empty() ? "" : "make the other inputs initializers (weights) before importing");
    return std::nullopt;
  }
  graph.input = inputs[0];
  for (const auto &info : proto.input()) {
    if (info.name() == graph.input && info.type().tensor_type().elem_type() != onnx::TensorProto::FLOAT) {
      diagnostics.error_in(file, "input '" + graph.input + "' holds " +
                                     onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(
                                         info.type().tensor_type().elem_type())) +
                                     "; cnngen's networks take float32");
      return std::nullopt;
    }
  }
  const Value &input = graph.values[graph.input];
  if (!input.has_shape || (input.shape.size() != 4 && input.shape.size() != 2)) {
    diagnostics.error_in(file, "input '" + graph.input +
                                   "' must be N×C×H×W or N×F (a batch, then the image or features)");
    return std::nullopt;
  }
  for (std::size_t d = 1; d < input.shape.size(); ++d) {
    if (input.shape[d] <= 0) {
      diagnostics.error_in(file, "input '" + graph.input + "' has a free dimension " + std::to_string(d) +
                                     ": only the batch (the first) may be free");
      return std::nullopt;
    }
  }
  if (proto.output_size() != 1) {
    diagnostics.error_in(file, "the graph has " + std::to_string(proto.output_size()) +
                                   " outputs; cnngen compiles networks of one output");
    return std::nullopt;
  }
  graph.output = proto.output(0).name();
  graph.values[graph.output].is_output = true;
  return graph;
}

}  // namespace cnngen::onnx_import
