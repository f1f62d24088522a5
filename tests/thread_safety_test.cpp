// Generated models called from many threads at once: LeNet from 8 threads, each with its own batch
// size and buffers, and LeNet beside a second model (the differential corpus's blocks_small_res) in
// one app with the one Halide runtime they share. Every call must give, bit for bit, what the same
// call gave alone. Batches below LeNet's vector width (16 images with AVX-512, 8 with AVX2) take
// the per-image copy of the network, the others the batch-vectorized copy
// (codegen/schedule_batched.hpp).
//
// Also built with ThreadSanitizer (thread_safety_tsan_test). TSan sees what this file does (the
// threads, the buffers they fill and compare) and the libc calls that the Halide runtime makes
// (pthread_create and join, the mutexes and condition variables it sleeps on, malloc and free);
// it does not see the generated code's loads and stores, nor the runtime's own locks, built from
// atomics in code compiled without instrumentation (tsan.supp: the reports that this causes). So
// TSan checks the app's side of the calls; the bit-identical results check the generated code.
#include "lenet.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "HalideRuntime.h"
#include "check_source.hpp"
#include "deterministic_arguments.hpp"

extern "C" int random_model(halide_buffer_t *input, halide_buffer_t *output);

namespace cnngen::testing {
namespace {

constexpr int kThreads = 8;
// Each thread's batch: 1, 2 and 3 take the per-image copy on every x86-64 target, 16 and more the
// batch-vectorized one (widths 4, 8 and 16); 5 takes one or the other.
constexpr int kBatches[kThreads] = {1, 2, 3, 5, 16, 17, 33, 64};
constexpr int kIterations = 400;

using Entry = int (*)(halide_buffer_t *, halide_buffer_t *);

/// One generated function and the per-image shapes of its input and output.
struct Model {
  const char *name;
  Entry entry;
  Shape input, output;
};

Model lenet_model() { return {"lenet", lenet, {1, 28, 28}, {10}}; }

/// blocks_small_res as its .net declares it (a residual add, batch norm, relu6, two linears).
Model small_res_model() {
  std::optional<Network> checked = checked_file("differential/blocks_small_res.net");
  if (!checked) return {"random_model", random_model, {}, {}};
  const Network &net = *checked;
  return {"random_model", random_model, net.tensors[static_cast<std::size_t>(net.input)].shape,
          net.tensors[static_cast<std::size_t>(net.output)].shape};
}

/// One thread's work: its model, batch, input and the output the same call gave alone.
struct Job {
  Model model;
  int batch;
  std::vector<float> input;
  std::vector<float> expected;
};

/// Calls `model` on `input`, writing `output` (first filled with NaN, so that anything the call
/// leaves unwritten differs from a finite reference). Returns the call's status.
int call(const Model &model, std::vector<float> &input, std::vector<float> &output, int batch) {
  std::fill(output.begin(), output.end(), std::nanf(""));
  auto in = host_buffer(input, model.input, batch);
  auto out = host_buffer(output, model.output, batch);
  return model.entry(in.raw_buffer(), out.raw_buffer());
}

Job make_job(const Model &model, int batch, std::uint32_t seed) {
  Job job{model, batch, {}, {}};
  job.input =
      deterministic_uniform(static_cast<std::size_t>(element_count(model.input) * batch), seed);
  job.expected.resize(static_cast<std::size_t>(element_count(model.output) * batch));
  EXPECT_EQ(call(model, job.input, job.expected, batch), 0) << model.name << " batch " << batch;
  return job;
}

/// Runs every job on a thread of its own, all released at once, each kIterations times; every
/// result must equal the job's serial one byte for byte.
void run_concurrently(std::vector<Job> &jobs) {
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  std::vector<int> failures(jobs.size(), 0), statuses(jobs.size(), 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < jobs.size(); ++t) {
    threads.emplace_back([&, t] {
      Job &job = jobs[t];
      std::vector<float> input = job.input;  // this thread's own buffers
      std::vector<float> output(job.expected.size());
      start.wait();
      for (int i = 0; i < kIterations; ++i) {
        int status = call(job.model, input, output, job.batch);
        if (status != 0) statuses[t] = status;
        if (status != 0 ||
            std::memcmp(output.data(), job.expected.data(), output.size() * sizeof(float)) != 0) {
          ++failures[t];
        }
      }
    });
  }
  go.set_value();
  for (std::thread &thread : threads) thread.join();
  for (std::size_t t = 0; t < jobs.size(); ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t << " (" << jobs[t].model.name << ", batch "
                              << jobs[t].batch << "): " << failures[t] << " of " << kIterations
                              << " calls differ from the serial call (last status " << statuses[t]
                              << ")";
  }
}

// Eight threads call LeNet at once, each with its own batch size and buffers, on both copies of
// the network; every call gives what it gives alone.
TEST(ThreadSafety, OneModelFromEightThreads) {
  std::vector<Job> jobs;
  for (int t = 0; t < kThreads; ++t) jobs.push_back(make_job(lenet_model(), kBatches[t], 100 + t));
  run_concurrently(jobs);
}

// LeNet and a second model, linked with one shared runtime, called at once from eight threads.
TEST(ThreadSafety, TwoModelsOneRuntime) {
  Model small_res = small_res_model();
  ASSERT_FALSE(small_res.input.empty());
  std::vector<Job> jobs;
  for (int t = 0; t < kThreads; ++t) {
    jobs.push_back(make_job(t % 2 ? small_res : lenet_model(), kBatches[t], 200 + t));
  }
  run_concurrently(jobs);
}

/// The threads of this process (Halide's workers among them).
int thread_count() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

// The README's advice for apps with a thread pool of their own: Halide's pool set to one thread
// before it starts (or, as here, after halide_shutdown_thread_pool(): a smaller number does not
// stop workers already started), the app's threads calling at once. Halide starts no thread.
TEST(ThreadSafety, AppThreadsWithHalidePoolOfOne) {
  std::vector<Job> jobs;
  for (int t = 0; t < kThreads; ++t) jobs.push_back(make_job(lenet_model(), kBatches[t], 300 + t));
  halide_shutdown_thread_pool();  // no call is running
  const int threads_before = thread_count();
  int previous = halide_set_num_threads(1);
  run_concurrently(jobs);
  EXPECT_EQ(thread_count(), threads_before) << "Halide started worker threads";
  halide_shutdown_thread_pool();
  halide_set_num_threads(previous);
}

}  // namespace
}  // namespace cnngen::testing
