#pragma once

#include "runtime/int8_model.hpp"

namespace tessera::testing {

// Int8Kernels computed by the nested-loop int8 reference plus the contract's scalar
// epilogues: an Int8Model on these must match one on the HLS kernels bit for bit.
class Int8ReferenceKernels final : public runtime::Int8Kernels {
 public:
  void gemm(const hls::GemmArgs& args) override;
  void attention(const hls::AttentionArgs& args) override;
};

}  // namespace tessera::testing
