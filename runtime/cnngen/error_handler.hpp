// C++ access to the message of a generated model's last error on this thread. Models return their
// error code by default (see cnngen/error_reporting.h, which every generated header carries):
// install_error_handler() is no longer needed and stays for apps written before. Including this
// header also defines the C functions the models call, for a program that declares a model's entry
// point itself instead of including its header (tests/differential_check.cpp), and the
// allocator they install (cnngen/buffer_cache.h). Header-only.
#pragma once

#include <string>

#include "HalideRuntime.h"
#include "cnngen/buffer_cache.h"
#include "cnngen/error_reporting.h"

namespace cnngen {

/// The message of the most recent error a generated model reported on this thread ("" if none).
inline std::string last_error() { return cnngen_last_error(); }

/// The handler the models install themselves: keeps the message for this thread and returns.
inline void record_error(void *user_context, const char *message) {
  cnngen_record_error(user_context, message);
}

/// Installs cnngen's handler now, replacing any other (the models do it on their first call unless
/// the app installed its own handler).
inline void install_error_handler() { halide_set_error_handler(cnngen_record_error); }

}  // namespace cnngen
