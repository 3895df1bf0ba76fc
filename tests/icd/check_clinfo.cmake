# Runs clinfo with the build's ICD vendors and checks what it lists, a new
# configuration dropped into a folder on TESSERA_CONFIG_PATH among it.
set(ENV{OCL_ICD_VENDORS} ${VENDORS})
file(READ ${PRESET} json)
string(JSON json SET "${json}" gemm_units rows 8)
string(JSON json SET "${json}" gemm_units cols 8)
file(MAKE_DIRECTORY ${FOLDER})
file(WRITE ${FOLDER}/clinfo-8x8.json "${json}")
set(ENV{TESSERA_CONFIG_PATH} ${FOLDER})
execute_process(COMMAND ${CLINFO} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "clinfo exited with ${status}: ${err}")
endif()
foreach(expected "Platform Name +tessera" "Platform Name +Portable Computing Language"
                 "Device Name +tessera kv260 \\(tlm\\)" "Device Name +tessera u280 \\(tlm\\)"
                 "Device Type +Accelerator" "Built-in kernels +tessera_gemm_s8s32"
                 "Device Name +tessera clinfo-8x8 \\(tlm\\)")
  if(NOT out MATCHES "${expected}")
    message(FATAL_ERROR "clinfo output lacks '${expected}'")
  endif()
endforeach()
