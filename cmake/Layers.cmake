# Layers: aw_layer(NAME SOURCES ... DEPS ...) makes library aw_NAME whose
# public include root holds only a link "NAME" -> the layer's folder. Code
# includes "NAME/header.hpp"; a layer sees the folders of the layers it links
# and no others, so including a higher layer's header fails to compile.
function(aw_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(root "${PROJECT_BINARY_DIR}/layer-include/${name}")
  file(MAKE_DIRECTORY "${root}")
  file(CREATE_LINK "${CMAKE_CURRENT_SOURCE_DIR}" "${root}/${name}" SYMBOLIC)
  add_library(aw_${name} STATIC ${L_SOURCES})
  add_library(aw::${name} ALIAS aw_${name})
  target_include_directories(aw_${name} PUBLIC "${root}")
  target_link_libraries(aw_${name} PUBLIC ${L_DEPS} PRIVATE aw_warnings ${L_PRIVATE_DEPS})
endfunction()
