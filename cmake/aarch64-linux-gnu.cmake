# A CMake toolchain file for Debian's AArch64 cross compilers (g++-aarch64-linux-gnu,
# libc6-dev-arm64-cross): apps for arm64 Linux built on x86-64, run there with
#   qemu-aarch64 -L /usr/aarch64-linux-gnu APP
# Libraries and headers come from the arm64 sysroot only; packages (cnngen's, Halide's helpers)
# from the host too, since they describe host tools and architecture-independent headers.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
