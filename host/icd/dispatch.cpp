// The ICD dispatch table: every slot gets a correctly typed function. Entry points
// tessera implements register themselves (TESSERA_ICD_ENTRY); every other slot
// answers with the spec's error for an operation the device does not support, so
// no call through the loader can reach an empty slot.
#include <type_traits>

#include "icd/util.hpp"

namespace tessera::icd {
namespace {

template <typename Last>
void report_unsupported(Last last) {
  if constexpr (std::is_same_v<Last, cl_int*>) {
    if (last != nullptr) *last = CL_INVALID_OPERATION;
  }
}

template <typename First, typename... Rest>
void report_unsupported(First, Rest... rest) {
  report_unsupported(rest...);
}

template <typename Function>
struct Unsupported;

template <typename Result, typename... Args>
struct Unsupported<Result(CL_API_CALL*)(Args...)> {
  static Result CL_API_CALL call(Args... args) {
    if constexpr (sizeof...(Args) > 0) report_unsupported(args...);
    if constexpr (std::is_same_v<Result, cl_int>) {
      return CL_INVALID_OPERATION;
    } else if constexpr (!std::is_void_v<Result>) {
      return Result{};
    }
  }
};

template <typename Slot>
Slot unsupported() {
  if constexpr (std::is_pointer_v<Slot> && std::is_function_v<std::remove_pointer_t<Slot>>) {
    return &Unsupported<Slot>::call;
  } else {
    return nullptr;  // a slot without a function type in these headers
  }
}

cl_icd_dispatch make_table() {
  cl_icd_dispatch table{};
#define TESSERA_SLOT(name) table.name = unsupported<decltype(table.name)>();
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
