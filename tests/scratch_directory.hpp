// Test helper: a fixture whose tests each get a directory of their own under GoogleTest's
// temporary directory, named after the test, emptied before it runs and removed after.
#pragma once

#include <filesystem>
#include <string>
#include <utility>

#include <gtest/gtest.h>

class ScratchDirectory : public ::testing::Test {
 protected:
  /// `prefix` tells the suites' directories apart ("cnngen_cli_").
  explicit ScratchDirectory(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (prefix_ + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;

 private:
  std::string prefix_;
};
