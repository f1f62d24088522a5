// The crash handler; see crash_handler.hpp. Everything it needs is copied into static buffers
// beforehand, since a handler may call neither malloc nor stdio.
#include "driver/crash_handler.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace cnngen {
namespace {

constexpr std::size_t kMaxPath = 4096, kMaxPaths = 8;
char context[512];
char cleanup[kMaxPaths][kMaxPath];
alignas(16) char handler_stack[1 << 16];

void copy(char *to, std::size_t size, const std::string &from) {
  std::size_t n = std::min(size - 1, from.size());
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

void say(const char *text) {
  for (std::size_t left = std::strlen(text); left > 0;) {
    ssize_t written = ::write(STDERR_FILENO, text, left);
    if (written <= 0) return;
    text += written;
    left -= static_cast<std::size_t>(written);
  }
}

const char *signal_name(int signal) {
  switch (signal) {
    case SIGSEGV: return "a segmentation fault (SIGSEGV)";
    case SIGBUS: return "a bus error (SIGBUS)";
    case SIGFPE: return "an arithmetic fault (SIGFPE)";
    case SIGILL: return "an illegal instruction (SIGILL)";
    case SIGABRT: return "an abort (SIGABRT)";
    default: return "a fatal signal";
  }
}

/// Ends the process at once. Not `_exit`: before a call to a function that never returns,
/// AddressSanitizer's instrumentation inserts `__asan_handle_no_return`, which allocates; when the
/// signal interrupted an allocation, that waits forever for the allocator lock the interrupted code
/// holds (seen in CI: `Cli.CrashIsAnInternalError` hung until its timeout). The system call itself
/// is an ordinary call.
void exit_now(int code) {
  for (;;) ::syscall(SYS_exit_group, code);
}

void on_crash(int signal) {
  for (char *path : cleanup) {
    if (path[0]) ::unlink(path);
  }
  say("cnngen: internal error: ");
  say(signal_name(signal));
  say(" while ");
  say(context);
  say("\n");
  say(kReportRequest);
  exit_now(3);
}

}  // namespace

void set_crash_context(const std::string &what) { copy(context, sizeof context, what); }

void set_crash_cleanup(const std::vector<std::string> &paths) {
  for (std::size_t i = 0; i < kMaxPaths; ++i) copy(cleanup[i], kMaxPath, i < paths.size() ? paths[i] : "");
}

void install_crash_handler(const std::string &what) {
  set_crash_context(what);
  stack_t stack{};
  stack.ss_sp = handler_stack;
  stack.ss_size = sizeof handler_stack;
  ::sigaltstack(&stack, nullptr);
  struct sigaction action{};
  action.sa_handler = on_crash;
  action.sa_flags = SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::sigaction(signal, &action, nullptr);
}

}  // namespace cnngen
