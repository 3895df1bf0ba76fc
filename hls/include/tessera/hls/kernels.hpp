#pragma once

// Runtime entry points to the HLS C models: pick the template instantiation for a
// configured array and turn a bad Status into an exception with a clear message.

#include <stdexcept>

#include "tessera/hls/array_config.hpp"
#include "tessera/hls/attention_i8.hpp"
#include "tessera/hls/fast_gemm.hpp"
#include "tessera/hls/gemm_i8.hpp"
#include "tessera/hls/gemv_i8.hpp"

namespace tessera::hls {

class KernelError : public std::runtime_error {
 public:
  KernelError(Status status, const std::string& what) : std::runtime_error(what), status_(status) {}
  Status status() const { return status_; }

 private:
  Status status_;
};

// gemm_i8 on the given array; Status::kBadArray for an array tessera was not built for.
Status gemm(ArrayShape array, const GemmArgs& args);
// gemv_i8, the engine's vector mode: M == 1 and K >= the array's rows.
Status gemv(ArrayShape array, const GemmArgs& args);
Status attention(const AttentionArgs& args);

// The same, throwing KernelError("<kernel>: <reason>") on failure.
void gemm_or_throw(ArrayShape array, const GemmArgs& args);
void gemv_or_throw(ArrayShape array, const GemmArgs& args);
void attention_or_throw(const AttentionArgs& args);
// fast_gemm (fast_gemm.hpp), throwing KernelError on failure.
void fast_gemm_or_throw(const GemmArgs& args);

}  // namespace tessera::hls
