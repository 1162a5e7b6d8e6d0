# Warnings: on and clean for every target of the project.
add_library(aw_warnings INTERFACE)
target_compile_options(aw_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wconversion -Wsign-conversion
  -Wimplicit-fallthrough
  # Designated initializers leave defaulted members out on purpose (C++20 idiom).
  -Wno-missing-field-initializers)
if(AW_WERROR)
  target_compile_options(aw_warnings INTERFACE -Werror)
endif()
# GCC 12 at -O3 (CMAKE_BUILD_TYPE=Release, as bench/run.sh builds) reports
# -Wrestrict, -Wmaybe-uninitialized, -Warray-bounds and -Wstringop-overflow inside
# libstdc++ (std::string, vector::insert) once whole aggregates are inlined (GCC
# bugs 105329, 105651, 107852): left as warnings, not errors, in that build type.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12)
  target_compile_options(aw_warnings INTERFACE $<$<CONFIG:Release>:-Wno-error=restrict -Wno-error=maybe-uninitialized -Wno-error=array-bounds -Wno-error=stringop-overflow>)
endif()
