// A progress line for compiles that take a while, as ninja and cargo show one: after 2 s on a
// terminal, one line on stderr rewritten in place (the stage and the seconds so far), cleared when
// the compile ends; nothing when stderr is not a terminal or the compile is quick.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace cnngen {

class ProgressLine {
 public:
  /// `label`: what is being compiled ("resnet50.a"). Shows nothing unless `enabled`.
  ProgressLine(std::string label, bool enabled);
  ~ProgressLine();
  ProgressLine(const ProgressLine &) = delete;
  ProgressLine &operator=(const ProgressLine &) = delete;

  /// The stage now under way.
  void stage(const std::string &text);
  /// Each stage so far with its seconds, one a line ("  12.3 s  generating machine code …").
  std::string timings();

 private:
  void run();

  std::string label_;
  std::string stage_ = "starting";
  std::chrono::steady_clock::time_point stage_start_ = std::chrono::steady_clock::now();
  std::vector<std::pair<std::string, double>> finished_;  // stages before this one, with seconds
  bool done_ = false;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

/// Whether stderr is a terminal (and TERM is not "dumb").
bool stderr_is_terminal();

}  // namespace cnngen
