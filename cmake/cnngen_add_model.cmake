# cnngen_add_model(<target> MODEL <file.net> [WEIGHTS <file.safetensors>] [TARGET <halide target>]
#                  [FUNCTION <name>])
# Runs cnngen at build time and defines <target>, a static library to link: it carries the
# Halide runtime and brings the generated headers <target>.h (C) and <target>.hpp (C++) into the
# include path. It is rebuilt
# when the model, the weights or cnngen change.
function(cnngen_add_model target)
  cmake_parse_arguments(ARG "" "MODEL;WEIGHTS;TARGET;FUNCTION" "" ${ARGN})
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "cnngen_add_model(${target}) needs MODEL")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE)
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${target}.cnngen")
  file(MAKE_DIRECTORY "${dir}")
  set(library "${dir}/${target}.a")
  set(command $<TARGET_FILE:cnngen> "${model}" -o "${library}")
  set(depends cnngen "${model}")
  if(ARG_WEIGHTS)
    get_filename_component(weights "${ARG_WEIGHTS}" ABSOLUTE)
    list(APPEND command --weights "${weights}")
    list(APPEND depends "${weights}")
  endif()
  if(ARG_TARGET)
    list(APPEND command --target "${ARG_TARGET}")
  endif()
  if(ARG_FUNCTION)
    list(APPEND command --name "${ARG_FUNCTION}")
  endif()
  add_custom_command(OUTPUT "${library}" "${dir}/${target}.h" "${dir}/${target}.hpp"
                     COMMAND ${command}
                     DEPENDS ${depends}
                     COMMENT "cnngen: compiling ${ARG_MODEL}"
                     VERBATIM)
  add_custom_target(${target}_cnngen DEPENDS "${library}")
  add_library(${target} STATIC IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${library}"
    INTERFACE_INCLUDE_DIRECTORIES "${dir}"
    INTERFACE_LINK_LIBRARIES "Halide::Runtime;Threads::Threads;${CMAKE_DL_LIBS}")
  add_dependencies(${target} ${target}_cnngen)
endfunction()
