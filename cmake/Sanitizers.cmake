# Sanitizers: AW_SANITIZE=ON builds everything with ASan + UBSan, aborting on
# the first report so a test cannot pass over undefined behaviour.
if(AW_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# libFuzzer builds instrument every library for coverage, not only the targets.
if(AW_LIBFUZZER)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
