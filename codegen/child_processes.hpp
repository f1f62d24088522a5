// Work spread over child processes (fork), a few at a time: how a deep network's parts are
// compiled on every core. Processes, not threads: each child has its own copy of Halide's and
// LLVM's global state, so nothing needs to be thread-safe, and a child that crashes takes only
// itself down.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace cnngen {

/// The cores this process may run on (its CPU affinity), at least 1.
int available_cores();

/// Runs task(0) … task(count − 1), each in a child process of its own, at most `jobs` at once
/// (`jobs` < 1: one). A task writes its result to files and returns; an exception it throws
/// becomes its message. `finished(done)` is called in this process each time a task ends well.
/// When a task fails (throws, crashes or is killed), the others are stopped and this throws
/// std::runtime_error naming the task (`name(i)`) and saying why.
void run_in_child_processes(std::size_t count, int jobs, const std::function<void(std::size_t)> &task,
                            const std::function<std::string(std::size_t)> &name,
                            const std::function<void(std::size_t done)> &finished = {});

}  // namespace cnngen
