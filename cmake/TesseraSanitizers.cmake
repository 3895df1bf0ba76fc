# AddressSanitizer + UBSan for the whole build (the debug-asan preset turns it on).
# Any UBSan report aborts, so a sanitizer finding fails the test that hit it.
if(TESSERA_SANITIZE AND TESSERA_TSAN)
  message(FATAL_ERROR "TESSERA_SANITIZE and TESSERA_TSAN cannot be combined")
endif()
# ThreadSanitizer (the debug-tsan preset) for the multi-threaded ICD and runtime.
if(TESSERA_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
if(TESSERA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()
