#pragma once

#include <cstdint>
#include <memory>

#include "tessera/hls/attention_i8.hpp"
#include "tessera/sim/rtl_gemm.hpp"

namespace tessera::sim {

struct RtlAttentionStats {
  std::uint64_t cycles = 0;  // unit cycles, all (query, head) jobs
  int jobs = 0;
};

// The Verilated attention unit (rtl/attention) behind a C++ driver that runs a whole
// hls::AttentionArgs call through it, one (query, head) job at a time, and writes
// the same outputs the HLS model writes.
class RtlAttention {
 public:
  virtual ~RtlAttention() = default;
  virtual int head_size_max() const = 0;
  virtual int context_max() const = 0;
  // Throws std::invalid_argument for shapes the unit cannot take and
  // std::runtime_error when the unit flags an error or stops making progress.
  virtual RtlAttentionStats attention(const hls::AttentionArgs& args,
                                      const RtlStreamOptions& options) = 0;
  virtual void start_then_reset(const hls::AttentionArgs& args, int cycles) = 0;
};

std::unique_ptr<RtlAttention> make_rtl_attention();

}  // namespace tessera::sim
