# Dependencies: CAF 0.17.6 (Debian ships no CMake/pkg-config file), libxen via
# pkg-config, doctest and Google Benchmark via their CMake configs.

# --- CAF: prefer a CAF that installs a CMake config (0.18+), else Debian's.
find_package(CAF CONFIG QUIET COMPONENTS core io)
if(NOT TARGET CAF::core)
  find_path(CAF_INCLUDE_DIR caf/all.hpp)
  find_library(CAF_CORE_LIBRARY caf_core)
  find_library(CAF_IO_LIBRARY caf_io)
  if(NOT CAF_INCLUDE_DIR OR NOT CAF_CORE_LIBRARY OR NOT CAF_IO_LIBRARY)
    message(FATAL_ERROR "CAF not found: install libcaf-dev (scripts/setup-deps.sh)")
  endif()
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_ver REGEX "define CAF_VERSION [0-9]+")
  string(REGEX REPLACE ".*CAF_VERSION ([0-9]+).*" "\\1" CAF_VERSION_NUMBER "${_caf_ver}")
  add_library(CAF::core UNKNOWN IMPORTED)
  set_target_properties(CAF::core PROPERTIES IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")
  find_package(Threads REQUIRED)
  target_link_libraries(CAF::core INTERFACE Threads::Threads)
  add_library(CAF::io UNKNOWN IMPORTED)
  set_target_properties(CAF::io PROPERTIES IMPORTED_LOCATION "${CAF_IO_LIBRARY}")
  target_link_libraries(CAF::io INTERFACE CAF::core)
  message(STATUS "CAF ${CAF_VERSION_NUMBER} (imported by hand): ${CAF_CORE_LIBRARY}")
else()
  message(STATUS "CAF ${CAF_VERSION} (CMake config)")
endif()

# --- libxen: the userspace Xen libraries (XenStore, event channels, grants).
find_package(PkgConfig REQUIRED)
pkg_check_modules(XEN REQUIRED IMPORTED_TARGET xenstore xenevtchn xengnttab)

# --- Tests and benchmarks.
find_package(doctest REQUIRED CONFIG)
include(doctest)
if(AW_BENCH)
  find_package(benchmark REQUIRED CONFIG)
endif()
