# The runtime reaches devices only through the OpenCL API (docs/architecture.md):
# nothing in host/runtime may include the simulator's headers.
#   cmake -DSOURCE_DIR=<repo> -P check_layering.cmake
file(GLOB_RECURSE sources "${SOURCE_DIR}/host/runtime/*.cpp" "${SOURCE_DIR}/host/runtime/*.hpp"
     "${SOURCE_DIR}/host/runtime/*.in")
set(offenders "")
foreach(file IN LISTS sources)
  file(STRINGS "${file}" lines REGEX "#include [<\"](tessera/sim/|platform/|sim/)")
  foreach(line IN LISTS lines)
    list(APPEND offenders "${file}: ${line}")
  endforeach()
endforeach()
if(offenders)
  list(JOIN offenders "\n  " text)
  message(FATAL_ERROR "host/runtime includes the simulator; use the OpenCL API:\n  ${text}")
endif()
list(LENGTH sources count)
message(STATUS "${count} files of host/runtime include nothing from sim/")
