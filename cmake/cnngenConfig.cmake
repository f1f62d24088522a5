# The installed cnngen package: find_package(cnngen) defines cnngen::cnngen (the compiler),
# cnngen::runtime (the header-only helpers for apps; idx.hpp also needs zlib) and
# cnngen_add_model(). Generated libraries need only Halide's runtime header and threads, so this
# finds HalideHelpers, not the Halide compiler, and works when cross-compiling too.
include(CMakeFindDependencyMacro)
find_dependency(HalideHelpers 14)
find_dependency(Threads)
include("${CMAKE_CURRENT_LIST_DIR}/cnngenTargets.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/cnngen_add_model.cmake")
