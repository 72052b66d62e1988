# tinyc_add_model(TARGET <target> MODEL <file.onnx> [NAME <name>] [OUTPUT_DIR <dir>]
#                 [OPTIONS <tinyc flags>...])
#
# Compiles MODEL with tinyc at build time into <OUTPUT_DIR>/<name>.cpp and <name>.h (default
# OUTPUT_DIR: ${CMAKE_CURRENT_BINARY_DIR}/tinyc), adds the source to TARGET and the folder to
# its include path. The step re-runs when the model or the tinyc executable changes.
# TINYC_EXECUTABLE names the compiler (set by find_package(tinyc)).
function(tinyc_add_model)
  cmake_parse_arguments(ARG "" "TARGET;MODEL;NAME;OUTPUT_DIR" "OPTIONS" ${ARGN})
  if(NOT ARG_TARGET OR NOT ARG_MODEL)
    message(FATAL_ERROR "tinyc_add_model: TARGET and MODEL are required")
  endif()
  if(NOT TINYC_EXECUTABLE)
    message(FATAL_ERROR "tinyc_add_model: set TINYC_EXECUTABLE or call find_package(tinyc)")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE)
  if(NOT ARG_NAME)
    get_filename_component(ARG_NAME "${ARG_MODEL}" NAME_WE)
    string(MAKE_C_IDENTIFIER "${ARG_NAME}" ARG_NAME)
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/tinyc")
  endif()
  set(src "${ARG_OUTPUT_DIR}/${ARG_NAME}.cpp")
  set(hdr "${ARG_OUTPUT_DIR}/${ARG_NAME}.h")
  set(deps "${model}")
  if(TARGET tinyc)
    list(APPEND deps tinyc)
    set(exe $<TARGET_FILE:tinyc>)
  else()
    list(APPEND deps "${TINYC_EXECUTABLE}")
    set(exe "${TINYC_EXECUTABLE}")
  endif()
  add_custom_command(
    OUTPUT "${src}" "${hdr}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${ARG_OUTPUT_DIR}"
    COMMAND ${exe} "${model}" -o "${src}" --name ${ARG_NAME} ${ARG_OPTIONS}
    DEPENDS ${deps}
    COMMENT "tinyc: compiling ${ARG_MODEL}"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE "${src}" "${hdr}")
  target_include_directories(${ARG_TARGET} PRIVATE "${ARG_OUTPUT_DIR}")
endfunction()
