// Halide's default runtime error handler prints the message and aborts the process. An app that
// wants the error code back instead (a wrong buffer shape, a failed allocation, no GPU) installs
// this handler once; the message of the last error on each thread stays available. Header-only.
#pragma once

#include <string>

#include "HalideRuntime.h"

namespace cnngen {

/// The message of the most recent error a generated model reported on this thread.
inline std::string &last_error() {
  thread_local std::string message;
  return message;
}

inline void record_error(void * /*user_context*/, const char *message) { last_error() = message; }

/// Makes every generated model in this process return its error code instead of aborting.
inline void install_error_handler() { halide_set_error_handler(record_error); }

}  // namespace cnngen
