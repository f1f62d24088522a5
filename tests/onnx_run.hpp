// Runs a model `cnngen import` made, as the tests of the importer need: its .net checked by the
// front end, lowered with its weights embedded, scheduled by cnngen's CPU schedule for the host
// and JIT-compiled (no library, no linker).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <Halide.h>
#include <gtest/gtest.h>

#include "check_source.hpp"
#include "codegen/lower.hpp"
#include "codegen/plan.hpp"
#include "codegen/schedule_cpu.hpp"
#include "onnx/import.hpp"

namespace cnngen::testing {

/// The outputs of `imported` for `batch` images `input`, or nothing (and a test failure saying
/// why: the .net does not check, or the input's size is not the network's).
inline std::optional<std::vector<float>> run_imported(const ImportedModel &imported, const std::vector<float> &input,
                                                      int batch) {
  std::string rendered;
  std::optional<Network> network = check_source(imported.net_text, &rendered);
  if (!network) {
    ADD_FAILURE() << rendered << "\n" << imported.net_text;
    return std::nullopt;
  }
  const Shape &in_shape = network->tensors[static_cast<std::size_t>(network->input)].shape;
  const Shape &out_shape = network->tensors[static_cast<std::size_t>(network->output)].shape;
  PlanOptions options;
  options.own_cpu_schedule = true;
  LoweredNetwork lowered = lower(*network, plan_network(*network, true, options), &imported.weights, "imported");
  const Halide::Target target = Halide::get_host_target();
  schedule_cpu(lowered, *network, target);
  std::vector<int> in_extents = halide_extents(in_shape), out_extents = halide_extents(out_shape);
  in_extents.push_back(batch);
  out_extents.push_back(batch);
  Halide::Buffer<float> in(in_extents), out(out_extents);
  if (static_cast<std::size_t>(in.number_of_elements()) != input.size()) {
    ADD_FAILURE() << "the input holds " << input.size() << " values; the imported network takes "
                  << in.number_of_elements() << " for " << batch << " images";
    return std::nullopt;
  }
  std::copy(input.begin(), input.end(), in.data());
  lowered.input.set(in);
  Halide::Pipeline(lowered.output).realize(out, target);
  return std::vector<float>(out.data(), out.data() + out.number_of_elements());
}

}  // namespace cnngen::testing
