// Errors returned, not aborted, by default: the generated entry points call cnngen_enter()
// first, and every generated C header carries the C text that defines it
// (runtime/cnngen/error_reporting.h).
#pragma once

#include <string>

#include <Halide.h>

namespace cnngen {

/// Makes every function of `module` (fully lowered) begin with a call of cnngen_error_context(),
/// which installs cnngen's error handler, and bind its result to Halide's user_context, so that
/// errors reported on the pool's threads reach the calling thread's message; and makes the entry
/// point `function` then refuse every buffer with a null host pointer (which Halide would take
/// for a bounds query and answer with 0). All before anything else: before Halide's buffer checks
/// and, for a GPU target, before the loading of its kernels. Done on the lowered module, not by a
/// custom lowering pass, because Halide 14 runs custom passes before it offloads GPU loops and
/// puts the kernels' loading first.
void add_entry_checks(Halide::Module &module, const std::string &function);

/// add_entry_checks' first half alone: for a module of parts the entry point calls, compiled on
/// its own (emit.cpp).
void add_error_context(Halide::Module &module);

/// The C text every generated header ends with: runtime/cnngen/buffer_cache.h (the allocator
/// cnngen_enter installs) and runtime/cnngen/error_reporting.h, copied into cnngen at build time.
const char *runtime_c_text();

}  // namespace cnngen
