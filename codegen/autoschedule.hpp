// The alternative to the manual schedule: one of Halide 14's autoschedulers shipped in Debian
// (Adams2019, Mullapudi2016), given the pipeline's shapes and the machine's parameters.
#pragma once

#include <string>

#include <Halide.h>

#include "codegen/lower.hpp"

namespace cnngen {

/// Names accepted by --schedule besides "manual".
bool is_autoscheduler(const std::string &name);

/// Schedules `lowered` with the autoscheduler `name` ("adams2019" or "mullapudi2016"), for
/// `batch` images per call, with the core count and last-level cache of this machine.
void autoschedule(LoweredNetwork &lowered, const Network &network, const Halide::Target &target,
                  const std::string &name, int batch);

}  // namespace cnngen
