// A crash of cnngen itself (a bug: a null dereference, an abort) ends like any other internal
// error: the "please report" message, exit code 3 and no partial output files, never a bare
// signal. Async-signal-safe: the handler only writes, unlinks and exits.
#pragma once

#include <string>
#include <vector>

namespace cnngen {

/// The line that ends every internal-error message, the crash handler's and the driver's.
inline constexpr const char *kReportRequest =
    "This is a bug in cnngen, not in your model: please report it with the model file and the "
    "command line.\n";

/// Installs the handler for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT (on its own stack, so that
/// a stack overflow is caught too). `what` says what cnngen was doing, e.g. "compiling 'lenet'".
void install_crash_handler(const std::string &what);

/// What the handler says cnngen was doing, from now on.
void set_crash_context(const std::string &what);

/// Files the handler removes: the outputs and temporaries of the compilation under way.
void set_crash_cleanup(const std::vector<std::string> &paths);

}  // namespace cnngen
