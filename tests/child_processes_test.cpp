// Tasks in child processes (codegen/child_processes.hpp), as a cut network's parts are compiled:
// every task runs, at most `jobs` at once, and a failure (an exception, a crash) is reported with
// the task's name and its reason.
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "codegen/child_processes.hpp"
#include "scratch_directory.hpp"

namespace cnngen::testing {
namespace {

namespace fs = std::filesystem;

class ChildProcesses : public ScratchDirectory {
 protected:
  ChildProcesses() : ScratchDirectory("cnngen_children_") {}
  std::string file(std::size_t i) const { return (dir_ / ("task" + std::to_string(i))).string(); }
  static std::string name(std::size_t i) { return "task " + std::to_string(i); }
};

TEST_F(ChildProcesses, EveryTaskRunsAndEachEndIsCounted) {
  std::vector<std::size_t> counted;
  run_in_child_processes(
      5, 2, [&](std::size_t i) { std::ofstream(file(i)) << i * i; }, name,
      [&](std::size_t done) { counted.push_back(done); });
  for (std::size_t i = 0; i < 5; ++i) {
    std::ifstream in(file(i));
    std::size_t value = 0;
    ASSERT_TRUE(in >> value) << "task " << i << " wrote nothing";
    EXPECT_EQ(value, i * i);
  }
  EXPECT_EQ(counted, (std::vector<std::size_t>{1, 2, 3, 4, 5}));
}

// One at a time: each task holds an exclusive lock file while it runs.
TEST_F(ChildProcesses, OneJobRunsOneTaskAtATime) {
  const std::string lock = (dir_ / "lock").string();
  run_in_child_processes(
      4, 1,
      [&](std::size_t) {
        const int fd = ::open(lock.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
        if (fd < 0) throw std::runtime_error("another task is running");
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        ::close(fd);
        fs::remove(lock);
      },
      name);
}

// Three at once: each task waits for the other two to have started.
TEST_F(ChildProcesses, JobsRunAtOnce) {
  run_in_child_processes(
      3, 3,
      [&](std::size_t i) {
        std::ofstream(file(i)) << "started";
        for (int wait = 0; wait < 1000; ++wait) {
          if (fs::exists(file(0)) && fs::exists(file(1)) && fs::exists(file(2))) return;
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        throw std::runtime_error("the other tasks never started");
      },
      name);
}

TEST_F(ChildProcesses, ExceptionBecomesTheMessage) {
  try {
    run_in_child_processes(
        4, 2,
        [&](std::size_t i) {
          if (i == 2) throw std::runtime_error("Halide said no");
        },
        name);
    FAIL() << "the failing task was not reported";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "task 2: Halide said no");
  }
}

TEST_F(ChildProcesses, CrashIsReportedWithItsSignal) {
  try {
    run_in_child_processes(
        2, 2,
        [&](std::size_t i) {
          if (i == 1) std::raise(SIGKILL);
        },
        name);
    FAIL() << "the crashed task was not reported";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("task 1: its process was killed by signal 9"), std::string::npos) << e.what();
  }
}

// A failure stops the tasks still running rather than waiting for them.
TEST_F(ChildProcesses, FailureStopsTheOthers) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(run_in_child_processes(
                   2, 2,
                   [&](std::size_t i) {
                     if (i == 0) std::this_thread::sleep_for(std::chrono::seconds(60));
                     throw std::runtime_error("failed");
                   },
                   name),
               std::runtime_error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(AvailableCores, AtLeastOne) { EXPECT_GE(available_cores(), 1); }

}  // namespace
}  // namespace cnngen::testing
