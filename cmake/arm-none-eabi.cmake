# Toolchain file for Cortex-M4/M7 firmware built with Debian's arm-none-eabi-gcc:
#   cmake -S fw -B build -DCMAKE_TOOLCHAIN_FILE=<tinyc prefix>/lib/cmake/tinyc/arm-none-eabi.cmake \
#         [-DTINYC_ARM_CPU=cortex-m7]
# TINYC_ARM_CPU: cortex-m4 (default; single-precision FPU fpv4-sp-d16) or cortex-m7 (fpv5-d16).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_SIZE arm-none-eabi-size)
# No semihosting or startup code exists at configure time: test the compilers with a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(TINYC_ARM_CPU cortex-m4 CACHE STRING "Target CPU: cortex-m4 or cortex-m7")
set_property(CACHE TINYC_ARM_CPU PROPERTY STRINGS cortex-m4 cortex-m7)
if(TINYC_ARM_CPU STREQUAL "cortex-m7")
  set(_tinyc_fpu fpv5-d16)
elseif(TINYC_ARM_CPU STREQUAL "cortex-m4")
  set(_tinyc_fpu fpv4-sp-d16)
else()
  message(FATAL_ERROR "TINYC_ARM_CPU must be cortex-m4 or cortex-m7, not '${TINYC_ARM_CPU}'")
endif()
set(_tinyc_arch "-mcpu=${TINYC_ARM_CPU} -mthumb -mfloat-abi=hard -mfpu=${_tinyc_fpu}")
set(CMAKE_C_FLAGS_INIT "${_tinyc_arch} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT "${_tinyc_arch} -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti")
set(CMAKE_ASM_FLAGS_INIT "${_tinyc_arch}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nano.specs -Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
