# Compiles every kernel template in one translation unit, as a model using all of them would
# get them: two templates defining the same name in namespace tk fail here, not in a user's
# build. Run with -DSRC_DIR=templates -DOUT=file.cpp -DCXX=g++.
file(GLOB files "${SRC_DIR}/*.h")
list(SORT files)
set(body "")
foreach(f ${files})
  string(APPEND body "#include \"${f}\"\n")
endforeach()
file(WRITE "${OUT}" "${body}int main() { return 0; }\n")
execute_process(COMMAND ${CXX} -std=c++17 -Wall -Wextra -Werror -fsyntax-only "${OUT}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the kernel templates do not compile together")
endif()
