// Autoscheduling through Halide's plugins; see autoschedule.hpp.
#include "codegen/autoschedule.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <thread>
#include <unistd.h>

namespace cnngen {
namespace {

/// The last-level cache in bytes, from sysfs; Halide's generic guess when it cannot be read.
std::uint64_t last_level_cache_bytes() {
  std::uint64_t largest = 0;
  for (int index = 0; index < 8; ++index) {
    std::ifstream in("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/size");
    std::string size;
    if (!(in >> size) || size.empty()) continue;
    std::uint64_t value = std::stoull(size);
    if (size.back() == 'K') value <<= 10;
    if (size.back() == 'M') value <<= 20;
    largest = std::max(largest, value);
  }
  return largest ? largest : std::uint64_t{16} << 20;
}

void estimate(Halide::OutputImageParam param, const Shape &shape, int batch) {
  std::vector<int> extents = halide_extents(shape);
  Halide::Region region;
  for (int e : extents) region.emplace_back(0, e);
  if (batch > 0) region.emplace_back(0, batch);
  param.set_estimates(region);
}

/// Adams2019 reports its search passes on standard error; cnngen's users see only cnngen's own
/// messages (CNNGEN_HALIDE_WARNINGS=1 lets Halide's through).
class QuietStderr {
 public:
  QuietStderr() {
    if (std::getenv("CNNGEN_HALIDE_WARNINGS")) return;
    saved_ = ::dup(STDERR_FILENO);
    int null = ::open("/dev/null", O_WRONLY);
    if (saved_ >= 0 && null >= 0) ::dup2(null, STDERR_FILENO);
    if (null >= 0) ::close(null);
  }
  ~QuietStderr() {
    if (saved_ < 0) return;
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  QuietStderr(const QuietStderr &) = delete;
  QuietStderr &operator=(const QuietStderr &) = delete;

 private:
  int saved_ = -1;
};

}  // namespace

bool is_autoscheduler(const std::string &name) {
  return name == "adams2019" || name == "mullapudi2016";
}

void autoschedule(LoweredNetwork &lowered, const Network &network, const Halide::Target &target,
                  const std::string &name, int batch) {
  static bool loaded = false;
  if (!loaded) {
    Halide::load_plugin(CNNGEN_ADAMS2019_PLUGIN);
    Halide::load_plugin(CNNGEN_MULLAPUDI2016_PLUGIN);
    loaded = true;
  }
  estimate(lowered.input, network.tensors[static_cast<std::size_t>(network.input)].shape, batch);
  for (WeightArgument &w : lowered.weight_arguments) estimate(w.param, w.parameter.shape, 0);
  std::vector<int> out = halide_extents(network.tensors[static_cast<std::size_t>(network.output)].shape);
  Halide::Region region;
  for (int e : out) region.emplace_back(0, e);
  region.emplace_back(0, batch);
  lowered.output.set_estimates(region);
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Halide::MachineParams machine(cores, last_level_cache_bytes(), 40);
  Halide::Pipeline pipeline(lowered.output);
  QuietStderr quiet;
  pipeline.auto_schedule(name == "adams2019" ? "Adams2019" : "Mullapudi2016", target, machine);
}

}  // namespace cnngen
