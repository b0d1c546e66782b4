# Project-wide helpers shared by every folder.

# Strict warnings apply to the project's own code only.
function(rmlx_strict target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror
    # GCC 12's libstdc++ trips -Wrestrict/-Wstringop-overflow on string
    # concatenation at -O3 (GCC bugs 105329, 105651): false positives.
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict -Wno-stringop-overflow>
    # ... and -Wmaybe-uninitialized inside <regex>/<functional> under the sanitizers.
    $<$<AND:$<CXX_COMPILER_ID:GNU>,$<BOOL:${RMLX_SANITIZE}>>:-Wno-maybe-uninitialized>)
endfunction()

# Adds every immediate sub-folder of the current folder that has a CMakeLists.txt,
# so a subsystem (or plugin) is one folder and one line nowhere else.
# RMLX_SKIP_FOLDERS (paths relative to the source root) leaves folders out of
# the build, for working on one part while another is half-written.
set(RMLX_SKIP_FOLDERS "" CACHE STRING "Folders (relative to the source root) left out of the build")
function(rmlx_add_subfolders)
  file(GLOB children RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT children)
  file(RELATIVE_PATH here ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  foreach(child ${children})
    if("${here}/${child}" IN_LIST RMLX_SKIP_FOLDERS)
      message(STATUS "rmlx: skipping ${here}/${child}")
      continue()
    endif()
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${child} AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()

# rmlx_add_plugin(NAME [VERSION v] SOURCES ... PROVIDES kind=name1,name2 ... [LIBS ...])
# Builds librmlx-<NAME>.so into the plugin directory and records its manifest
# entry; plugins/CMakeLists.txt writes the collected plugins.yaml.
function(rmlx_add_plugin name)
  cmake_parse_arguments(P "" "VERSION" "SOURCES;PROVIDES;LIBS" ${ARGN})
  if(NOT P_VERSION)
    set(P_VERSION ${PROJECT_VERSION})
  endif()
  set(target rmlx-${name})
  add_library(${target} MODULE ${P_SOURCES})
  target_link_libraries(${target} PRIVATE rmlx_sdk ${P_LIBS})
  set_target_properties(${target} PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY ${RMLX_PLUGIN_BUILD_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  rmlx_strict(${target})
  install(TARGETS ${target} LIBRARY DESTINATION ${RMLX_PLUGIN_INSTALL_DIR})
  set(entry "  - name: ${name}\n    library: lib${target}.so\n    version: ${P_VERSION}\n    provides:\n")
  foreach(p ${P_PROVIDES})
    string(REPLACE "=" ";" kv ${p})
    list(GET kv 0 kind)
    list(GET kv 1 names)
    string(REPLACE "," ", " names "${names}")
    string(APPEND entry "      ${kind}: [${names}]\n")
  endforeach()
  set_property(GLOBAL APPEND_STRING PROPERTY RMLX_MANIFEST_ENTRIES "${entry}")
endfunction()
