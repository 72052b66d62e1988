# Writes OUT: a C++ file defining tinyc::kernel_templates() with the contents of every
# templates/*.h, so the compiler binary carries its kernels.
file(GLOB files "${SRC_DIR}/*.h")
list(SORT files)
set(body "")
foreach(f ${files})
  get_filename_component(name "${f}" NAME_WE)
  file(READ "${f}" content)
  string(APPEND body "      {\"${name}\", R\"tinyc_kernel(${content})tinyc_kernel\"},\n")
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from templates/ by cmake/embed_templates.cmake.
#include \"kernel_templates.h\"

namespace tinyc {

const std::map<std::string, std::string>& kernel_templates() {
  static const std::map<std::string, std::string> t = {
${body}  };
  return t;
}

}  // namespace tinyc
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
