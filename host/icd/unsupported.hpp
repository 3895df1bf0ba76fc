#pragma once

// Typed functions for dispatch-table slots of features tessera does not have: each
// returns a fixed error code (and sets errcode_ret where the slot has one).
#include <type_traits>

#include "icd/objects.hpp"

namespace tessera::icd {

template <cl_int Code, typename Last>
void report_unsupported(Last last) {
  if constexpr (std::is_same_v<Last, cl_int*>) {
    if (last != nullptr) *last = Code;
  }
}

template <cl_int Code, typename First, typename... Rest>
void report_unsupported(First, Rest... rest) {
  report_unsupported<Code>(rest...);
}

template <cl_int Code, typename Function>
struct Unsupported;

template <cl_int Code, typename Result, typename... Args>
struct Unsupported<Code, Result(CL_API_CALL*)(Args...)> {
  static Result CL_API_CALL call(Args... args) {
    if constexpr (sizeof...(Args) > 0) report_unsupported<Code>(args...);
    if constexpr (std::is_same_v<Result, cl_int>) {
      return Code;
    } else if constexpr (!std::is_void_v<Result>) {
      return Result{};
    }
  }
};

template <cl_int Code, typename Slot>
Slot unsupported() {
  if constexpr (std::is_pointer_v<Slot> && std::is_function_v<std::remove_pointer_t<Slot>>) {
    return &Unsupported<Code, Slot>::call;
  } else {
    return nullptr;  // a slot without a function type in these headers
  }
}

}  // namespace tessera::icd

// Puts a function answering `code` into the dispatch table slot `name`.
#define TESSERA_ICD_UNSUPPORTED(name, code)                                                   \
  [[maybe_unused]] static const bool tessera_icd_unsupported_##name =                         \
      (tessera::icd::dispatch_table()->name =                                                 \
           tessera::icd::unsupported<code, decltype(tessera::icd::dispatch_table()->name)>(), \
       true);
