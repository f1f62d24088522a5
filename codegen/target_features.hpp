// Target features cnngen adds to or takes from the targets it compiles for, the driver's and the
// tests' alike.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <Halide.h>

namespace cnngen {

/// `target` with disable_llvm_loop_opt, unless it names enable_llvm_loop_opt. Halide vectorizes
/// what the schedule says; Halide 14 then lets LLVM's loop vectorizer rewrite the loops it left
/// scalar (later Halide versions stopped doing so by default), and with AVX-512 that pass
/// miscompiles reductions it turns into gathers and scatters: max pooling over few channels took
/// the maximum of only part of its window.
inline Halide::Target without_llvm_loop_vectorizer(Halide::Target target) {
  if (target.has_feature(Halide::Target::EnableLLVMLoopOpt)) return target;
  return target.with_feature(Halide::Target::DisableLLVMLoopOpt);
}

/// Whether this CPU has AVX-VNNI (the VEX-encoded dot products; CPUID leaf 7, subleaf 1, EAX bit 4).
inline bool cpu_has_avx_vnni() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 4)) != 0;
#else
  return false;
#endif
}

/// `target`, detected as this machine's ("host"), without avx512_sapphirerapids where the CPU lacks
/// AVX-VNNI. Halide 14 detects that feature from AVX512-BF16 alone and then emits VEX-encoded
/// vpdpwssd, which AMD Zen 4 (AVX512-BF16, no AVX-VNNI) does not have: SIGILL at run time. The
/// AVX-512 features Zen 4 does have stay (avx512_cannonlake and below).
inline Halide::Target with_host_features_checked(Halide::Target target) {
  if (target.arch == Halide::Target::X86 && target.has_feature(Halide::Target::AVX512_SapphireRapids) &&
      !cpu_has_avx_vnni()) {
    target = target.without_feature(Halide::Target::AVX512_SapphireRapids);
  }
  return target;
}

}  // namespace cnngen
