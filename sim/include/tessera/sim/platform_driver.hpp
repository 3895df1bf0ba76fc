#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tessera/hls/attention_i8.hpp"
#include "tessera/hls/gemm_i8.hpp"
#include "tessera/sim/platform.hpp"

namespace tessera::sim {

// Host-side driver of the platform: lays operands out per the device ABI, splits
// work into commands that fit the units (tiles per job, K in chunks the operand
// buffers hold, summed on the host), spreads them over the units and collects
// the results. Weights and the KV cache stay in device memory.
class PlatformDriver {
 public:
  explicit PlatformDriver(Platform& platform);

  // A weight matrix (N x K, row-major) resident in device memory, tiled.
  struct DeviceMatrix {
    std::uint64_t address = 0;
    int n = 0, k = 0;
  };
  // `w` may be null for timing-only platforms.
  DeviceMatrix upload_weights(const std::int8_t* w, int n, int k);

  // C = A * W^T with the epilogue of `args` (args.w is ignored: `w` is used). One
  // row of A with K >= ROWS runs in the engines' vector mode (GEMV), the rest as
  // GEMM jobs. Throws sim::ChecksumError after delivering the results when the
  // device reports them wrong.
  void gemm(const hls::GemmArgs& args, const DeviceMatrix& w);
  // Several GEMMs at once: the vector-mode ones share one submission (one round
  // trip over the host link), as the q/k/v or gate/up projections of a layer.
  struct GemmCall {
    hls::GemmArgs args;
    const DeviceMatrix* w = nullptr;
  };
  void gemms(const std::vector<GemmCall>& calls);

  // A KV cache in device memory: [kv_head][position][record] for one layer, records
  // of head_size lanes.
  struct DeviceKvCache {
    std::uint64_t address = 0;
    int n_kv_heads = 0, head_size = 0, capacity = 0, positions_uploaded = 0;
  };
  DeviceKvCache allocate_kv_cache(int n_kv_heads, int head_size, int capacity);
  void release_kv_cache(const DeviceKvCache& cache) { platform_.release(cache.address); }
  // Uploads the positions the cache lacks up to the call's last one, then runs every
  // (query, head) of the call as an attention job and writes args.out and args.norm.
  void attention(const hls::AttentionArgs& args, DeviceKvCache& cache);

  Platform& platform() { return platform_; }
  // Frees the device buffers the driver keeps between calls.
  void release_scratch();

 private:
  // Runs what is queued. Jobs that failed their checksums still wrote their results:
  // their ChecksumError is returned to be thrown once the call has delivered them.
  std::optional<ChecksumError> run_commands();
  std::uint64_t scratch(std::size_t slot, std::uint64_t bytes);
  void gemv(const std::vector<GemmCall>& calls);
  void check_call(const hls::GemmArgs& args, const DeviceMatrix& w) const;
  bool vector_mode_fits(const hls::GemmArgs& args) const;

  Platform& platform_;
  hls::ArrayShape array_;
  bool data_;
  std::vector<std::uint64_t> scratch_address_, scratch_bytes_;
};

}  // namespace tessera::sim
