#pragma once

#include "runtime/int8_model.hpp"
#include "tessera/hls/kernels.hpp"

namespace tessera::runtime {

// Int8Kernels on the HLS C models, called directly on the CPU with a given array.
class HlsKernels final : public Int8Kernels {
 public:
  explicit HlsKernels(hls::ArrayShape array) : array_(array) {}
  void gemm(const hls::GemmArgs& args) override { hls::gemm_or_throw(array_, args); }
  void attention(const hls::AttentionArgs& args) override { hls::attention_or_throw(args); }

 private:
  hls::ArrayShape array_;
};

}  // namespace tessera::runtime
