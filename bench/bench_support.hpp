// What the benchmark runners (model_bench.cpp, gpu_runner.cpp) share: the checked network of a
// .net file, for its shapes, and the times of repeated calls. Header-only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dsl/front_end.hpp"

namespace cnngen::bench {

/// The network of the model file at `path`, or nothing (an unreadable file is named on stderr).
inline std::optional<Network> read_network(const char *path) {
  std::string error;
  auto source = SourceFile::read(path, error);
  if (!source) {
    std::fprintf(stderr, "%s: %s\n", path, error.c_str());
    return std::nullopt;
  }
  Diagnostics diagnostics(*source);
  CheckedModel checked = check_model(*source, "", diagnostics);
  return std::move(checked.network);
}

/// The times of `call`, in seconds and sorted: at least `min_calls` calls, and more until
/// `seconds` have passed. `before`, where given, runs before each call, untimed.
inline std::vector<double> call_times(const std::function<void()> &call, std::size_t min_calls,
                                      double seconds, const std::function<void()> &before = {}) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> times;
  auto begin = Clock::now();
  while (times.size() < min_calls || std::chrono::duration<double>(Clock::now() - begin).count() < seconds) {
    if (before) before();
    auto start = Clock::now();
    call();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times;
}

}  // namespace cnngen::bench
