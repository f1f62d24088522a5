// What a long compile is doing, reported as it goes: the driver shows it on a terminal
// (driver/progress_line.hpp); code generation only names its stages.
#pragma once

#include <functional>
#include <string>

namespace cnngen {

/// Called with each stage as it starts: "lowering part 3 of 7", "generating machine code".
/// Empty: nobody listens.
using ProgressReport = std::function<void(const std::string &stage)>;

}  // namespace cnngen
