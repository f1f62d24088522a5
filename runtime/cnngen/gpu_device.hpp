// Which GPU a CUDA- or OpenCL-built model would run on, asked of the driver directly (dlopen, no
// CUDA or OpenCL headers, no libHalide): for apps that report their device, and for tests that
// must tell "no device here" (skip) from "the model failed on a device" (fail). Header-only.
#pragma once

#include <dlfcn.h>

#include <cstring>
#include <string>

namespace cnngen {

/// A device found (`present`, `name` says which) or the reason there is none (`name`).
struct GpuDevice {
  bool present = false;
  std::string name;
};

namespace detail {

inline void *open_first(const char *const *names) {
  for (const char *const *name = names; *name; ++name) {
    if (void *library = dlopen(*name, RTLD_LAZY | RTLD_LOCAL)) return library;
  }
  return nullptr;
}

}  // namespace detail

/// The first CUDA device, as the CUDA driver (libcuda) names it.
inline GpuDevice cuda_device() {
  static const char *const names[] = {"libcuda.so.1", "libcuda.so", nullptr};
  void *cuda = detail::open_first(names);
  if (!cuda) return {false, "no CUDA driver (libcuda.so.1 not found)"};
  using Init = int (*)(unsigned);
  using Count = int (*)(int *);
  using Get = int (*)(int *, int);
  using Name = int (*)(char *, int, int);
  auto init = reinterpret_cast<Init>(dlsym(cuda, "cuInit"));
  auto count = reinterpret_cast<Count>(dlsym(cuda, "cuDeviceGetCount"));
  auto get = reinterpret_cast<Get>(dlsym(cuda, "cuDeviceGet"));
  auto name = reinterpret_cast<Name>(dlsym(cuda, "cuDeviceGetName"));
  int devices = 0, device = 0;
  char text[256] = {};
  if (!init || !count || !get || !name) return {false, "libcuda lacks the driver API"};
  if (int error = init(0)) return {false, "cuInit failed with CUDA error " + std::to_string(error)};
  if (count(&devices) != 0 || devices == 0) return {false, "the CUDA driver sees no device"};
  if (get(&device, 0) != 0 || name(text, sizeof text - 1, device) != 0) return {true, "CUDA device 0"};
  return {true, text};
}

/// The first OpenCL device of the first platform (on a machine without a GPU, PoCL's CPU device).
inline GpuDevice opencl_device() {
  static const char *const names[] = {"libOpenCL.so", "libOpenCL.so.1", nullptr};
  void *opencl = detail::open_first(names);
  if (!opencl) return {false, "no OpenCL library (libOpenCL.so not found)"};
  using Platforms = int (*)(unsigned, void **, unsigned *);
  using Devices = int (*)(void *, unsigned long, unsigned, void **, unsigned *);
  using Info = int (*)(void *, unsigned, std::size_t, void *, std::size_t *);
  auto platforms = reinterpret_cast<Platforms>(dlsym(opencl, "clGetPlatformIDs"));
  auto devices = reinterpret_cast<Devices>(dlsym(opencl, "clGetDeviceIDs"));
  auto info = reinterpret_cast<Info>(dlsym(opencl, "clGetDeviceInfo"));
  if (!platforms || !devices || !info) return {false, "libOpenCL lacks the OpenCL API"};
  void *platform = nullptr, *device = nullptr;
  unsigned found = 0;
  if (platforms(1, &platform, &found) != 0 || found == 0) return {false, "no OpenCL platform is installed"};
  constexpr unsigned long kAllDevices = 0xFFFFFFFF;
  if (devices(platform, kAllDevices, 1, &device, &found) != 0 || found == 0)
    return {false, "the OpenCL platform has no device"};
  char text[256] = {};
  constexpr unsigned kDeviceName = 0x102B;
  if (info(device, kDeviceName, sizeof text - 1, text, nullptr) != 0) return {true, "OpenCL device 0"};
  return {true, text};
}

/// The device a model built for Halide target string `target` runs on: a GPU, or the CPU.
inline GpuDevice device_for_target(const char *target) {
  std::string t = target ? target : "";
  if (t.find("cuda") != std::string::npos) return cuda_device();
  if (t.find("opencl") != std::string::npos) return opencl_device();
  return {true, "the CPU"};
}

}  // namespace cnngen
