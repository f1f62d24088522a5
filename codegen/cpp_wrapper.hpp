// The C++ header generated beside Halide's C header (lenet.hpp beside lenet.h): the model's shapes
// and sizes as constants, its layer table, and a typed call on plain float arrays.
#pragma once

#include <string>

#include "codegen/lower.hpp"
#include "dsl/network.hpp"

namespace cnngen {

/// The text of the C++ header for the C function `function_name` declared in `c_header_name`.
/// Its declarations live in namespace FUNCTION_model (the C function already owns the name).
std::string cpp_wrapper(const LoweredNetwork &lowered, const Network &network,
                        const std::string &function_name, const std::string &c_header_name);

}  // namespace cnngen
