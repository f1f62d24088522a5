# `cmake --install`: the cnngen executable, the runtime helper headers and the CMake package that
# lets a project write find_package(cnngen) and cnngen_add_model() (cmake/cnngenConfig.cmake.in).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CNNGEN_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/cnngen)
install(TARGETS cnngen cnngen_runtime EXPORT cnngenTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY runtime/cnngen DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT cnngenTargets NAMESPACE cnngen:: DESTINATION ${CNNGEN_PACKAGE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/cnngenConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
configure_file(cmake/cnngenConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/cnngenConfig.cmake @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cnngenConfig.cmake cmake/cnngen_add_model.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/cnngenConfigVersion.cmake
        DESTINATION ${CNNGEN_PACKAGE_DIR})
