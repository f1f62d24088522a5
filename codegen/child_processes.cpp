// Tasks in child processes, a few at a time; see child_processes.hpp.
#include "codegen/child_processes.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cnngen {
namespace {

/// A running task: its process and the read end of the pipe its failure message comes through
/// (end of file when it exits).
struct Child {
  pid_t pid;
  int message;
  std::size_t task;
};

/// In the child: runs the task and leaves with _exit, so that none of the parent's exit handlers,
/// destructors or buffered output run twice. A failure's message goes through the pipe.
[[noreturn]] void run_child(const std::function<void(std::size_t)> &task, std::size_t i, int write_end) {
  std::string message;
  try {
    task(i);
    std::fflush(nullptr);
    _exit(0);
  } catch (const std::exception &e) {
    message = e.what();
  } catch (...) {
    message = "an exception that is not a std::exception";
  }
  message.resize(std::min<std::size_t>(message.size(), 4000));  // fits the pipe: write never blocks
  if (message.empty()) message = "an exception with no message";
  while (!message.empty()) {
    const ssize_t written = ::write(write_end, message.data(), message.size());
    if (written <= 0 && errno != EINTR) break;
    if (written > 0) message.erase(0, static_cast<std::size_t>(written));
  }
  _exit(1);
}

std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got > 0) text.append(buffer, static_cast<std::size_t>(got));
    else if (got == 0 || errno != EINTR) return text;
  }
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return status;
}

/// Why a child that exited with `status` and said `message` failed; empty if it did not.
std::string failure_of(int status, const std::string &message) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  if (!message.empty()) return message;
  if (WIFSIGNALED(status)) return std::string("its process was killed by signal ") + std::to_string(WTERMSIG(status)) +
                                  " (" + strsignal(WTERMSIG(status)) + ")";
  return "its process exited with status " + std::to_string(WEXITSTATUS(status));
}

/// Stops and reaps every child still running.
void stop_all(std::vector<Child> &running) {
  for (const Child &child : running) ::kill(child.pid, SIGKILL);
  for (const Child &child : running) {
    ::close(child.message);
    wait_for(child.pid);
  }
  running.clear();
}

Child start(const std::function<void(std::size_t)> &task, std::size_t i) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) throw std::runtime_error(std::string("cannot create a pipe: ") + std::strerror(errno));
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(ends[0]);
    ::close(ends[1]);
    throw std::runtime_error(std::string("cannot start a process: ") + std::strerror(error));
  }
  if (pid == 0) {
    ::close(ends[0]);
    // Ends with this process, however it ends (a crash, SIGKILL): no orphan goes on compiling.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(1);
    run_child(task, i, ends[1]);
  }
  ::close(ends[1]);  // only the child writes: its exit closes the pipe
  return {pid, ends[0], i};
}

}  // namespace

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

void run_in_child_processes(std::size_t count, int jobs, const std::function<void(std::size_t)> &task,
                            const std::function<std::string(std::size_t)> &name,
                            const std::function<void(std::size_t done)> &finished) {
  const std::size_t at_once = static_cast<std::size_t>(std::max(1, jobs));
  std::vector<Child> running;
  std::size_t next = 0, done = 0;
  try {
    while (next < count || !running.empty()) {
      while (next < count && running.size() < at_once) running.push_back(start(task, next++));
      // Wait until a child's pipe has its message or its end of file.
      std::vector<pollfd> pipes;
      for (const Child &child : running) pipes.push_back({child.message, POLLIN, 0});
      if (::poll(pipes.data(), pipes.size(), -1) < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(std::string("cannot wait for the compiling processes: ") + std::strerror(errno));
      }
      const auto ready = std::find_if(pipes.begin(), pipes.end(), [](const pollfd &p) { return p.revents != 0; });
      if (ready == pipes.end()) continue;
      const Child child = running[static_cast<std::size_t>(ready - pipes.begin())];
      running.erase(running.begin() + (ready - pipes.begin()));
      const std::string message = read_all(child.message);
      ::close(child.message);
      const std::string failure = failure_of(wait_for(child.pid), message);
      if (!failure.empty()) throw std::runtime_error(name(child.task) + ": " + failure);
      if (finished) finished(++done);
    }
  } catch (...) {
    stop_all(running);
    throw;
  }
}

}  // namespace cnngen
