#pragma once

#include <map>

#include "runtime/int8_model.hpp"
#include "tessera/sim/platform_driver.hpp"

namespace tessera::runtime {

// Int8Kernels on the simulated accelerator: weights go to device memory on first
// use and stay; each layer's K/V cache lives in device memory and receives only the
// new positions.
class PlatformKernels final : public Int8Kernels {
 public:
  PlatformKernels(sim::Platform& platform, int max_positions)
      : driver_(platform), max_positions_(max_positions) {}

  void gemm(const hls::GemmArgs& args) override { driver_.gemm(args, weights(args)); }

  void gemms(const std::vector<hls::GemmArgs>& calls) override {
    std::vector<sim::PlatformDriver::GemmCall> device_calls;
    for (const hls::GemmArgs& args : calls) device_calls.push_back({args, &weights(args)});
    driver_.gemms(device_calls);
  }

  void attention(const hls::AttentionArgs& args) override {
    auto found = caches_.find(args.k);
    if (found == caches_.end()) {
      found =
          caches_.emplace(args.k, driver_.allocate_kv_cache(args.n_kv_heads, max_positions_)).first;
    }
    driver_.attention(args, found->second);
  }

 private:
  const sim::PlatformDriver::DeviceMatrix& weights(const hls::GemmArgs& args) {
    auto found = weights_.find(args.w);
    if (found == weights_.end()) {
      found = weights_.emplace(args.w, driver_.upload_weights(args.w, args.n, args.k)).first;
    }
    return found->second;
  }

  sim::PlatformDriver driver_;
  int max_positions_;
  std::map<const std::int8_t*, sim::PlatformDriver::DeviceMatrix> weights_;
  std::map<const std::int8_t*, sim::PlatformDriver::DeviceKvCache> caches_;
};

}  // namespace tessera::runtime
