// Checks on a GPU-built library file, without a GPU: that it holds GPU code (for CUDA, PTX for the
// pinned capability: ".target sm_80"; for OpenCL, kernel source: "__kernel"), and that no CUDA
// kernel synchronizes its block more than a staged loop needs. Header-only.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

namespace cnngen::testing {

inline std::string library_bytes(const std::string &library) {
  std::ifstream in(library, std::ios::binary);
  EXPECT_TRUE(in) << library;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void expect_library_holds(const std::string &library, const std::string &mark) {
  EXPECT_NE(library_bytes(library).find(mark), std::string::npos) << library << " holds no '" << mark << "'";
}

/// Every PTX kernel (".entry") in the library holds at most `most` barriers ("bar.sync"). A
/// convolution's kernel needs a few per staged chunk of input channels; a thread loop scheduled
/// inside unrolled loops instead makes a barrier per multiply-add (53 in a 3×3 convolution's
/// kernel, seen 1000× slower on an H200). Libraries without PTX pass trivially.
inline void expect_kernels_synchronize_rarely(const std::string &library, int most = 8) {
  const std::string bytes = library_bytes(library);
  for (std::size_t begin = bytes.find(".entry "); begin != std::string::npos;) {
    std::size_t end = bytes.find(".entry ", begin + 1);
    std::string kernel = bytes.substr(begin, (end == std::string::npos ? bytes.size() : end) - begin);
    int barriers = 0;
    for (std::size_t at = kernel.find("bar.sync"); at != std::string::npos; at = kernel.find("bar.sync", at + 1))
      ++barriers;
    EXPECT_LE(barriers, most) << library << ": " << kernel.substr(0, kernel.find('('));
    begin = end;
  }
}

}  // namespace cnngen::testing
