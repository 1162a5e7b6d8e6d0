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
