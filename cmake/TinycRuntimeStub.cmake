# tinyc_add_qemu_runtime(TARGET <executable> BOARD mps2-an386|mps2-an500)
#
# Makes TARGET a bare-metal firmware for QEMU's mps2 boards with tinyc's runtime stub:
# startup code (vector table, .data/.bss, FPU on), the board's linker script, semihosting
# output/exit, the SysTick instruction counter and the small text writer (see
# runtime_stub/*.h). TARGET provides main(int, char**) and tc_platform_write() (e.g. calling
# sh_write0). TINYC_RUNTIME_STUB_DIR names the folder (set by find_package(tinyc)).
function(tinyc_add_qemu_runtime)
  cmake_parse_arguments(ARG "" "TARGET;BOARD" "" ${ARGN})
  if(NOT ARG_TARGET)
    message(FATAL_ERROR "tinyc_add_qemu_runtime: TARGET is required")
  endif()
  if(NOT ARG_BOARD)
    set(ARG_BOARD mps2-an386)
  endif()
  string(REPLACE "-" "_" ld "${ARG_BOARD}")
  set(dir "${TINYC_RUNTIME_STUB_DIR}")
  if(NOT EXISTS "${dir}/${ld}.ld")
    message(FATAL_ERROR "tinyc_add_qemu_runtime: no linker script ${dir}/${ld}.ld for board ${ARG_BOARD}")
  endif()
  target_sources(${ARG_TARGET} PRIVATE
    "${dir}/startup_cortexm.c" "${dir}/semihosting.c" "${dir}/instr_counter.c" "${dir}/text_out.c")
  target_include_directories(${ARG_TARGET} PRIVATE "${dir}")
  target_link_options(${ARG_TARGET} PRIVATE -nostartfiles "-L${dir}" "-T${ld}.ld")
  set_property(TARGET ${ARG_TARGET} APPEND PROPERTY LINK_DEPENDS "${dir}/${ld}.ld")
endfunction()
