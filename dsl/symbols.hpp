// The names generated code gives to what it makes for each layer and for the model as a whole:
// Halide Funcs, reductions, weight buffers, and the arguments of the generated C function. Every
// such name is handed out here, unique in the network, so that no two things share one and no
// layer name a user writes is ever refused for looking like a name cnngen makes up.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "dsl/network.hpp"

namespace cnngen {

/// The suffixes code generation appends to symbol_name(node) for a node's Funcs, reductions and
/// weights: lowering writes these constants and never literals, and generated_names() lists every
/// name they make, so that assign_symbols() keeps the names of different nodes apart.
namespace suffix {
inline constexpr const char *reduction = "_r";  // a concatenation's j-th input: reduction + j
inline constexpr const char *padded = "_padded";
inline constexpr const char *max = "_max";
inline constexpr const char *exp = "_exp";
inline constexpr const char *sum = "_sum";
inline constexpr const char *mean = "_mean";                // layer norm's, per pixel
inline constexpr const char *inverse_std = "_inverse_std";  // layer norm's 1/√(var + eps)
inline constexpr const char *scale = "_scale";  // batch norm's per-channel factor
inline constexpr const char *shift = "_shift";  // batch norm's per-channel offset
inline constexpr const char *data = "_data";    // appended to a parameter's Func name
inline constexpr const char *packed = "_packed";
inline constexpr const char *winograd = "_winograd";  // a weight transformed for Winograd
inline constexpr const char *winograd_rows = "_winograd_rows";        // Bᵀ d
inline constexpr const char *winograd_input = "_winograd_input";      // Bᵀ d B
inline constexpr const char *winograd_product = "_winograd_product";  // Σ_c U ⊙ V
inline constexpr const char *winograd_columns = "_winograd_columns";  // Aᵀ M
/// Stage suffixes: each also exists in the batched copy (symbol + kBatchedSuffix + suffix).
inline constexpr const char *kStages[] = {"",           reduction,      padded,           max,
                                          exp,          sum,            scale,            shift,
                                          winograd_rows, winograd_input, winograd_product, winograd_columns,
                                          mean,         inverse_std};
}  // namespace suffix

/// Appended to symbol_name(node) for the layer's second copy in libraries that carry a
/// batch-vectorized variant of the network (codegen/schedule_batched.hpp).
inline constexpr const char *kBatchedSuffix = "_batched";

/// Gives every node of `network` its symbol, the prefix of every name generated for it: a named
/// layer's path with dots as underscores ("fc1", "layer1_0_conv1"), else kind and path
/// ("conv2d_0", "relu_layer1_0_2"; also a named layer whose path starts with a digit,
/// "conv2d_1_0_conv1", since C identifiers cannot). Named layers are served first, in order, then
/// the others: a node one of whose generated names an earlier node holds takes the first of
/// symbol_2, symbol_3, … whose names are all free.
void assign_symbols(Network &network);

/// The node's symbol, as assign_symbols() set it.
const std::string &symbol_name(const Node &node);

/// The name of a parameter's Func: symbol_name(node) + "_" + the last part of its state_dict
/// name ("conv1_weight", "bn1_running_mean").
std::string parameter_symbol(const Node &node, const Parameter &parameter);

/// Every name code generation derives from the node's symbol for its Funcs, reductions and
/// weights (lower.cpp, lower_layers.cpp and winograd.cpp make exactly these).
std::vector<std::string> generated_names(const Node &node);

/// Names for what belongs to the model as a whole: its input and output arguments, the Func that
/// reads the input, the calls of a network compiled in parts. Each is the preferred name unless
/// a node of the network holds it or it was handed out before; then the first free of
/// preferred_2, preferred_3, ….
class ModelNames {
 public:
  explicit ModelNames(const Network &network);
  std::string take(const std::string &preferred);

 private:
  std::set<std::string> taken_;
};

}  // namespace cnngen
