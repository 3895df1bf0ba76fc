// The ICD dispatch table: every slot gets a correctly typed function. Entry points
// tessera implements register themselves (TESSERA_ICD_ENTRY), features it lacks
// register the error the spec lists for them (TESSERA_ICD_UNSUPPORTED,
// unsupported_api.cpp), and every other slot (OpenCL 2.0 and later, extensions)
// answers CL_INVALID_OPERATION, so no call through the loader reaches an empty slot.
#include "icd/unsupported.hpp"
#include "icd/util.hpp"

namespace tessera::icd {
namespace {

cl_icd_dispatch make_table() {
  cl_icd_dispatch table{};
#define TESSERA_SLOT(name) table.name = unsupported<CL_INVALID_OPERATION, decltype(table.name)>();
#include "icd_dispatch_slots.inc"
#undef TESSERA_SLOT
  return table;
}

}  // namespace

cl_icd_dispatch* dispatch_table() {
  static cl_icd_dispatch table = make_table();
  return &table;
}

}  // namespace tessera::icd
