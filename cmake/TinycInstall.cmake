# Installs the compiler and a CMake package, so firmware projects can do
#   find_package(tinyc REQUIRED)
#   tinyc_add_model(TARGET firmware MODEL model.onnx NAME kws)
include(CMakePackageConfigHelpers)
install(TARGETS tinyc RUNTIME DESTINATION bin)
configure_package_config_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/tinycConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/tinycConfig.cmake
  INSTALL_DESTINATION lib/cmake/tinyc)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tinycConfigVersion.cmake
  COMPATIBILITY SameMinorVersion
  # A host tool: firmware projects (32-bit targets) must accept the 64-bit build.
  ARCH_INDEPENDENT)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/tinycConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/tinycConfigVersion.cmake
  ${CMAKE_CURRENT_SOURCE_DIR}/cmake/TinycAddModel.cmake
  DESTINATION lib/cmake/tinyc)

# Cortex-M support for firmware projects: toolchain file, runtime stub for the QEMU boards.
install(FILES
  ${CMAKE_CURRENT_SOURCE_DIR}/cmake/arm-none-eabi.cmake
  ${CMAKE_CURRENT_SOURCE_DIR}/cmake/TinycRuntimeStub.cmake
  DESTINATION lib/cmake/tinyc)
install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/runtime_stub/ DESTINATION share/tinyc/runtime_stub)
