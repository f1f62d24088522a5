// Test helper: the CPU targets that tests JIT-compile the manual schedules for. The schedules
// depend on the vector width, so on an AVX-512 machine they are also checked with AVX2's 8-float
// vectors (where a dropped tail guard once wrote past a row). Built with AddressSanitizer, the host's
// alone: the sanitizers watch cnngen's own code, whose choices for 8-float vectors are
// tests/cpu_choices_test.cpp's, not the JIT-compiled pipelines they cannot see into; the AVX2
// pipelines run in the plain build (11 of the sanitizer run's 20 minutes of test time were the
// numerics grids).
#pragma once

#include <vector>

#include <Halide.h>

#include "codegen/target_features.hpp"
#include "under_asan.hpp"

namespace cnngen::testing {

/// The host's target, and on an AVX-512 machine also AVX2's (not under AddressSanitizer).
inline std::vector<Halide::Target> cpu_test_targets() {
  Halide::Target host =
      without_llvm_loop_vectorizer(with_host_features_checked(Halide::get_jit_target_from_environment()));
  std::vector<Halide::Target> targets{host};
#ifdef CNNGEN_UNDER_ASAN
  return targets;
#endif
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
