# Runs COMMAND and compares the sha256 of its stdout with EXPECTED_SHA256.
execute_process(COMMAND ${COMMAND}
                OUTPUT_VARIABLE out
                ERROR_VARIABLE err
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "command failed (exit ${rc}): ${COMMAND}\nstderr:\n${err}")
endif()
string(SHA256 actual "${out}")
if(NOT actual STREQUAL EXPECTED_SHA256)
  message(FATAL_ERROR "stdout sha256 ${actual}, expected ${EXPECTED_SHA256}\n"
                      "command: ${COMMAND}\nstdout:\n${out}")
endif()
message(STATUS "stdout matches sha256 ${EXPECTED_SHA256}")
