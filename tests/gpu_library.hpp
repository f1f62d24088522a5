// The check that a GPU-built library file holds GPU code (for CUDA, PTX for the pinned
// capability: ".target sm_80"; for OpenCL, kernel source: "__kernel"). Header-only.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

namespace cnngen::testing {

inline void expect_library_holds(const std::string &library, const std::string &mark) {
  std::ifstream in(library, std::ios::binary);
  ASSERT_TRUE(in) << library;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(bytes.find(mark), std::string::npos) << library << " holds no '" << mark << "'";
}

}  // namespace cnngen::testing
