// The ONNX graph as the importer reads it: each value's shape (from ONNX's shape inference) and,
// for initializers and the shape arithmetic exporters write for a free batch (Constant, Shape,
// Gather, Unsqueeze, Squeeze, Concat, Cast, integer Add/Sub/Mul/Div, a Transpose of a constant),
// its constant contents,
// folded at import; the nodes that remain compute the network.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "dsl/diagnostics.hpp"

namespace cnngen::onnx_import {

/// In folded shape arithmetic: the free batch dimension (the input's first, symbolic or not).
constexpr std::int64_t kFreeBatch = std::numeric_limits<std::int64_t>::min();

/// A constant tensor: an initializer, a Constant node's value or a folded node's output.
struct Constant {
  std::vector<std::int64_t> dims;
  std::vector<float> floats;       // a floating-point tensor, as float32
  std::vector<std::int64_t> ints;  // an integer tensor (kFreeBatch where it is the batch)
  bool integer = false;
  std::size_t count() const { return integer ? ints.size() : floats.size(); }
};

/// `tensor`'s contents, or nothing and `why` (external data, an unsupported type, a size that
/// does not match its dimensions).
std::optional<Constant> read_tensor(const onnx::TensorProto &tensor, std::string &why);

struct Value {
  std::vector<std::int64_t> shape;  // -1: a dimension shape inference left unknown or symbolic
  bool has_shape = false;
  std::optional<Constant> constant;
  int producer = -1;           // the node computing it; -1 for the input and constants
  std::vector<int> consumers;  // the nodes reading it, once per input that reads it
  bool is_output = false;
};

struct Graph {
  std::map<std::string, Value> values;
  std::vector<const onnx::NodeProto *> nodes;  // in the graph's (topological) order
  std::vector<bool> folded;                    // per node: computed at import (shape arithmetic)
  std::string input, output;
  std::int64_t opset = 0;  // of the default domain
};

/// The opset `model` imports of ONNX's default domain (0 where it imports none).
std::int64_t default_opset(const onnx::ModelProto &model);

/// Why ONNX 1.12's shape inference must not see `graph`, or "" where it may. It divides by a
/// node's strides (Conv and the pools) and by SplitToSequence's split sizes without checking them
/// first: a zero there is a division fault inside libonnx, which no exception catches.
std::string faults_onnx_inference(const onnx::GraphProto &graph);

/// Reads `model`'s graph: one float input of rank 2 or 4 (batch first), one output, every other
/// graph input an initializer; runs shape inference and folds the shape arithmetic. Reports every
/// problem against `file` and returns nothing if there was one.
std::optional<Graph> read_graph(onnx::ModelProto &model, const std::string &file, Diagnostics &diagnostics);

/// A node's attribute `name`, or nothing; and its value where it is of that type, else `fallback`.
const onnx::AttributeProto *attribute(const onnx::NodeProto &node, const char *name);
std::int64_t int_attribute(const onnx::NodeProto &node, const char *name, std::int64_t fallback);
float float_attribute(const onnx::NodeProto &node, const char *name, float fallback);
std::string string_attribute(const onnx::NodeProto &node, const char *name, const std::string &fallback);
std::vector<std::int64_t> ints_attribute(const onnx::NodeProto &node, const char *name);

/// A node as diagnostics name it: its op type and, where it has one, its name ("Conv '/conv1/Conv'").
std::string describe(const onnx::NodeProto &node);

}  // namespace cnngen::onnx_import
