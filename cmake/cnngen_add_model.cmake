# cnngen_add_model(<target> MODEL <file.net> [WEIGHTS <file.safetensors>] [TARGET <halide target>]
#                  [FUNCTION <name>] [SCHEDULE manual|adams2019|mullapudi2016]
#                  [OPTIONS <cnngen option>...])
# Runs cnngen at build time and defines <target>, a static library to link, which brings the
# generated headers <target>.h (C) and <target>.hpp (C++) into the include path. It is rebuilt when
# the model, the weights or cnngen change. TARGET is a Halide target string, or several separated by
# commas for one library that picks the best at run time (default: host). OPTIONS go to cnngen as
# they are (--no-fuse, --layers-per-part N).
#
# The library is built without the Halide runtime; it links the one runtime library that every
# model of the same TARGET in the project shares (cnngen runtime), so several models fit one app.
# Works in cnngen's own build (the cnngen target) and from the installed package (cnngen::cnngen).

# The build-time dependency on the cnngen executable: file-level always, target-level when cnngen
# is built in the same project.
function(_cnngen_depend_on_compiler custom_target)
  get_target_property(real cnngen::cnngen ALIASED_TARGET)
  if(real)
    add_dependencies(${custom_target} ${real})
  endif()
endfunction()

# Sets <out_var> to the library target of the shared Halide runtime for <targets>, defining it on
# first use.
function(_cnngen_runtime_library out_var targets)
  string(MAKE_C_IDENTIFIER "${targets}" id)
  set(runtime cnngen_halide_runtime_${id})
  set(${out_var} ${runtime} PARENT_SCOPE)
  if(TARGET ${runtime})
    return()
  endif()
  set(dir "${CMAKE_BINARY_DIR}/cnngen_runtimes")
  file(MAKE_DIRECTORY "${dir}")
  set(library "${dir}/${id}.a")
  add_custom_command(OUTPUT "${library}"
                     COMMAND "$<TARGET_FILE:cnngen::cnngen>" runtime -o "${library}" --target "${targets}"
                     DEPENDS "$<TARGET_FILE:cnngen::cnngen>"
                     COMMENT "cnngen: the Halide runtime for ${targets}"
                     VERBATIM)
  add_custom_target(${runtime}_build DEPENDS "${library}")
  _cnngen_depend_on_compiler(${runtime}_build)
  add_library(${runtime} STATIC IMPORTED GLOBAL)
  set_target_properties(${runtime} PROPERTIES
    IMPORTED_LOCATION "${library}"
    INTERFACE_LINK_LIBRARIES "Halide::Runtime;Threads::Threads;${CMAKE_DL_LIBS}")
  add_dependencies(${runtime} ${runtime}_build)
endfunction()

function(cnngen_add_model target)
  cmake_parse_arguments(ARG "" "MODEL;WEIGHTS;TARGET;FUNCTION;SCHEDULE" "OPTIONS" ${ARGN})
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "cnngen_add_model(${target}) needs MODEL")
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET host)
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE)
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${target}.cnngen")
  file(MAKE_DIRECTORY "${dir}")
  set(library "${dir}/${target}.a")
  # Every target of the list without its own runtime: x86-64-linux-avx2,x86-64-linux becomes
  # x86-64-linux-avx2-no_runtime,x86-64-linux-no_runtime.
  string(REPLACE "," "-no_runtime," targets "${ARG_TARGET}-no_runtime")
  set(command "$<TARGET_FILE:cnngen::cnngen>" "${model}" -o "${library}" --target "${targets}")
  set(depends "$<TARGET_FILE:cnngen::cnngen>" "${model}")
  if(ARG_WEIGHTS)
    get_filename_component(weights "${ARG_WEIGHTS}" ABSOLUTE)
    list(APPEND command --weights "${weights}")
    list(APPEND depends "${weights}")
  endif()
  if(ARG_FUNCTION)
    list(APPEND command --name "${ARG_FUNCTION}")
  endif()
  if(ARG_SCHEDULE)
    list(APPEND command "--schedule=${ARG_SCHEDULE}")
  endif()
  list(APPEND command ${ARG_OPTIONS})
  add_custom_command(OUTPUT "${library}" "${dir}/${target}.h" "${dir}/${target}.hpp"
                     COMMAND ${command}
                     DEPENDS ${depends}
                     COMMENT "cnngen: compiling ${ARG_MODEL}"
                     VERBATIM)
  add_custom_target(${target}_cnngen DEPENDS "${library}")
  _cnngen_depend_on_compiler(${target}_cnngen)
  _cnngen_runtime_library(runtime "${ARG_TARGET}")
  add_library(${target} STATIC IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${library}"
    INTERFACE_INCLUDE_DIRECTORIES "${dir}"
    INTERFACE_LINK_LIBRARIES "${runtime}")
  add_dependencies(${target} ${target}_cnngen)
endfunction()
