// LeNet built for a GPU target (CUDA or OpenCL; compiled once per API with CNNGEN_GPU_MODEL naming
// the generated function): PyTorch's golden logits where the driver reports a device, the clean
// error code and message where it reports none, and GPU code inside the library either way.
// Here, without an NVIDIA GPU, the OpenCL build runs the GPU schedule on PoCL's CPU device.
#include CNNGEN_GPU_MODEL_HEADER

#include <gtest/gtest.h>

#include "cnngen/error_handler.hpp"
#include "cnngen/gpu_device.hpp"
#include "cnngen/tensor_buffer.hpp"
#include "golden_data.hpp"
#include "gpu_library.hpp"

#define CNNGEN_CONCAT(a, b) CNNGEN_CONCAT_(a, b)
#define CNNGEN_CONCAT_(a, b) a##b

namespace cnngen::testing {
namespace {

constexpr int kClasses = 10;

const char *model_target() { return CNNGEN_CONCAT(CNNGEN_GPU_MODEL, _metadata)()->target; }

int run_model(std::vector<float> &pixels, std::vector<float> &logits, int count) {
  logits.assign(static_cast<std::size_t>(count) * kClasses, 0.0f);
  auto input = tensor_buffer(pixels.data(), {count, 1, 28, 28});
  auto output = tensor_buffer(logits.data(), {count, kClasses});
  return CNNGEN_GPU_MODEL(input, output);
}

TEST(GpuLenet, LogitsMatchPyTorchOnTheDevice) {
  GpuDevice device = device_for_target(model_target());
  if (!device.present) GTEST_SKIP() << "no device for " << model_target() << ": " << device.name;
  std::printf("device: %s\n", device.name.c_str());
  install_error_handler();
  IdxFile images = read_golden_idx("golden/lenet_images.idx");
  std::vector<float> golden = read_golden_logits("golden/lenet_logits.txt");
  std::vector<float> pixels = unit_floats(images), logits;
  // The whole batch twice (the second call reuses the compiled kernels), then three images alone.
  for (int round = 0; round < 2; ++round) {
    ASSERT_EQ(run_model(pixels, logits, images.dims[0]), 0) << last_error();
    expect_logits_match(logits, golden);
  }
  for (int i = 0; i < 3; ++i) {
    std::vector<float> image(pixels.begin() + i * 784, pixels.begin() + (i + 1) * 784);
    ASSERT_EQ(run_model(image, logits, 1), 0) << last_error();
    expect_logits_match(logits, std::vector<float>(golden.begin() + i * kClasses,
                                                   golden.begin() + (i + 1) * kClasses));
  }
}

TEST(GpuLenet, WithoutADeviceReturnsAnError) {
  GpuDevice device = device_for_target(model_target());
  if (device.present) GTEST_SKIP() << "a device is present (" << device.name << "): nothing to refuse";
  install_error_handler();
  std::vector<float> pixels(2 * 784, 0.5f), logits;
  for (int call = 0; call < 2; ++call) {  // and again: the app goes on after an error
    EXPECT_NE(run_model(pixels, logits, 2), 0);
    EXPECT_FALSE(last_error().empty());
  }
  std::printf("error without a device: %s\n", last_error().c_str());
}

TEST(GpuLenet, LibraryCarriesGpuCode) {
  expect_library_holds(CNNGEN_GPU_LIBRARY, CNNGEN_GPU_CODE_MARK);
  expect_kernels_synchronize_rarely(CNNGEN_GPU_LIBRARY);
}

}  // namespace
}  // namespace cnngen::testing
