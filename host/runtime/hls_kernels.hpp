#pragma once

#include <optional>

#include "runtime/int8_model.hpp"
#include "tessera/hls/kernels.hpp"

namespace tessera::runtime {

// Int8Kernels called directly on the CPU: the GEMM engine's integers through the fast
// kernel (hls::fast_gemm), or through the cycle-by-cycle C model of `array` when one
// is given (the same integers, the specification's way). Attention runs its C model.
class HlsKernels final : public Int8Kernels {
 public:
  explicit HlsKernels(std::optional<hls::ArrayShape> array) : array_(array) {}
  void gemm(const hls::GemmArgs& args) override {
    if (array_) {
      hls::gemm_or_throw(*array_, args);
    } else {
      hls::fast_gemm_or_throw(args);
    }
  }
  void attention(const hls::AttentionArgs& args) override { hls::attention_or_throw(args); }

 private:
  std::optional<hls::ArrayShape> array_;
};

}  // namespace tessera::runtime
