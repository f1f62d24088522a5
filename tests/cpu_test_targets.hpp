// Test helper: the CPU targets that tests JIT-compile the manual schedules for. The schedules
// depend on the vector width, so on an AVX-512 machine they are also checked with AVX2's 8-float
// vectors (where a dropped tail guard once wrote past a row).
#pragma once

#include <vector>

#include <Halide.h>

#include "codegen/target_features.hpp"

namespace cnngen::testing {

/// The host's target, and on an AVX-512 machine also AVX2's.
inline std::vector<Halide::Target> cpu_test_targets() {
  Halide::Target host =
      without_llvm_loop_vectorizer(with_host_features_checked(Halide::get_jit_target_from_environment()));
  std::vector<Halide::Target> targets{host};
  if (host.has_feature(Halide::Target::AVX512)) {
    Halide::Target avx2 = host;
    for (auto feature : {Halide::Target::AVX512, Halide::Target::AVX512_Skylake,
                         Halide::Target::AVX512_Cannonlake, Halide::Target::AVX512_SapphireRapids,
                         Halide::Target::AVX512_KNL}) {
      avx2 = avx2.without_feature(feature);
    }
    targets.push_back(avx2);
  }
  return targets;
}

}  // namespace cnngen::testing
