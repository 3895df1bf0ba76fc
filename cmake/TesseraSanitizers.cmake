# AddressSanitizer + UBSan for the whole build (the debug-asan preset turns it on).
# Any UBSan report aborts, so a sanitizer finding fails the test that hit it.
if(TESSERA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()
