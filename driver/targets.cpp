// Parsing and checking of target strings; see targets.hpp.
#include "driver/targets.hpp"

namespace cnngen {

Halide::Target with_pinned_cuda_capability(Halide::Target target) {
  if (!target.has_feature(Halide::Target::CUDA)) return target;
  for (auto capability : {Halide::Target::CUDACapability30, Halide::Target::CUDACapability32,
                          Halide::Target::CUDACapability35, Halide::Target::CUDACapability50,
                          Halide::Target::CUDACapability61, Halide::Target::CUDACapability70,
                          Halide::Target::CUDACapability75, Halide::Target::CUDACapability80}) {
    if (target.has_feature(capability)) return target;
  }
  return target.with_feature(Halide::Target::CUDACapability80);
}

std::optional<std::vector<Halide::Target>> parse_targets(const std::string &text, std::string &error) {
  std::vector<Halide::Target> targets;
  std::size_t begin = 0;
  while (true) {
    std::size_t end = text.find(',', begin);
    std::string part = text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    // Features alone ("cuda", "cuda-profile") are features of the host.
    if (!Halide::Target::validate_target_string(part) &&
        Halide::Target::validate_target_string("host-" + part)) {
      part = "host-" + part;
    }
    if (!Halide::Target::validate_target_string(part)) {
      error = "'" + part + "' is not a Halide target string";
      return std::nullopt;
    }
    Halide::Target target(part);
    if (part.rfind("host", 0) == 0) target = with_host_features_checked(target);
    targets.push_back(without_llvm_loop_vectorizer(with_pinned_cuda_capability(target)));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  const Halide::Target &base = targets.back();
  for (const Halide::Target &t : targets) {
    if (t.os != base.os || t.arch != base.arch || t.bits != base.bits) {
      error = "the targets of a multi-target library must share OS, architecture and bits, but '" +
              t.to_string() + "' and '" + base.to_string() + "' differ";
      return std::nullopt;
    }
    if (t.has_feature(Halide::Target::JIT)) {
      error = "'" + t.to_string() + "' is a JIT target; cnngen compiles ahead of time";
      return std::nullopt;
    }
  }
  return targets;
}

Halide::Target runtime_target(const std::vector<Halide::Target> &targets) {
  const Halide::Target &base = targets.back();
  Halide::Target runtime(base.os, base.arch, base.bits);
  for (int i = 0; i < Halide::Target::FeatureEnd; ++i) {
    auto feature = static_cast<Halide::Target::Feature>(i);
    if (feature == Halide::Target::NoRuntime) continue;
    bool shared = true;
    for (const Halide::Target &t : targets) shared = shared && t.has_feature(feature);
    if (shared) runtime.set_feature(feature);
  }
  return runtime;
}

}  // namespace cnngen
