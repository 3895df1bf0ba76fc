# Installs the build into a fresh prefix and runs the installed tessera from another
# folder on every device, then lists the installed presets and the ICD's devices:
# an installed tree needs neither the source tree nor the build tree's paths.
file(REMOVE_RECURSE ${PREFIX} ${WORK})
file(MAKE_DIRECTORY ${WORK})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${PREFIX}
                RESULT_VARIABLE status OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${err}")
endif()
unset(ENV{OCL_ICD_VENDORS})
unset(ENV{TESSERA_CONFIG_PATH})
foreach(device reference hls cpu accel:kv260:func accel:kv260:tlm accel:kv260:rtl accel:u280:tlm)
  execute_process(COMMAND ${PREFIX}/bin/tessera run ${MODEL} -z ${TOKENIZER} -t 0 -n 12
                          --device ${device}
                  WORKING_DIRECTORY ${WORK} RESULT_VARIABLE status OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT status EQUAL 0 OR NOT out MATCHES "^Once upon a time")
    message(FATAL_ERROR "installed tessera run --device ${device}: exit ${status}: ${out} ${err}")
  endif()
endforeach()
execute_process(COMMAND ${PREFIX}/bin/tessera devices WORKING_DIRECTORY ${WORK}
                RESULT_VARIABLE status OUTPUT_VARIABLE out)
if(NOT status EQUAL 0 OR NOT out MATCHES "${PREFIX}/share/tessera/configs/kv260.json")
  message(FATAL_ERROR "installed tessera devices does not list the installed presets: ${out}")
endif()
set(ENV{OCL_ICD_VENDORS} ${PREFIX}/etc/OpenCL/vendors)
execute_process(COMMAND ${CLINFO} -l RESULT_VARIABLE status OUTPUT_VARIABLE out)
if(NOT status EQUAL 0 OR NOT out MATCHES "tessera kv260 \\(tlm\\)")
  message(FATAL_ERROR "clinfo with the installed vendors folder: ${out}")
endif()
file(REMOVE_RECURSE ${PREFIX} ${WORK})
