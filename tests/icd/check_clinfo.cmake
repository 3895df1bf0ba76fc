# Runs clinfo with the build's ICD vendors and checks what it lists.
set(ENV{OCL_ICD_VENDORS} ${VENDORS})
execute_process(COMMAND ${CLINFO} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "clinfo exited with ${status}: ${err}")
endif()
foreach(expected "Platform Name +tessera" "Platform Name +Portable Computing Language"
                 "Device Name +tessera kv260 \\(tlm\\)" "Device Name +tessera u280 \\(tlm\\)"
                 "Device Type +Accelerator" "Built-in kernels +tessera_gemm_s8s32")
  if(NOT out MATCHES "${expected}")
    message(FATAL_ERROR "clinfo output lacks '${expected}'")
  endif()
endforeach()
