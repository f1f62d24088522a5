// The progress line of long compiles; see progress_line.hpp.
#include "driver/progress_line.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cnngen {
namespace {

constexpr std::chrono::milliseconds kQuietFor{2000}, kEvery{250};

}  // namespace

bool stderr_is_terminal() {
  const char *term = std::getenv("TERM");
  return isatty(STDERR_FILENO) && !(term && std::strcmp(term, "dumb") == 0);
}

ProgressLine::ProgressLine(std::string label, bool enabled) : label_(std::move(label)) {
  if (enabled) thread_ = std::thread([this] { run(); });
}

ProgressLine::~ProgressLine() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ProgressLine::stage(const std::string &text) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  finished_.emplace_back(stage_, std::chrono::duration<double>(now - stage_start_).count());
  stage_ = text;
  stage_start_ = now;
}

std::string ProgressLine::timings() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<std::string, double>> all = finished_;
  all.emplace_back(stage_, std::chrono::duration<double>(std::chrono::steady_clock::now() - stage_start_).count());
  std::string text;
  char seconds[32];
  for (const auto &[name, s] : all) {
    std::snprintf(seconds, sizeof seconds, "%8.2f s  ", s);
    text += seconds + name + "\n";
  }
  return text;
}

void ProgressLine::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (wake_.wait_for(lock, kQuietFor, [this] { return done_; })) return;
  while (!done_) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r\033[Kcnngen: %s: %s (%.0f s)", label_.c_str(), stage_.c_str(), seconds);
    std::fflush(stderr);
    shown_ = true;
    wake_.wait_for(lock, kEvery, [this] { return done_; });
  }
  if (shown_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
}

}  // namespace cnngen
