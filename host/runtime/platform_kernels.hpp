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

  // Sends every weight matrix of `model` to the device now instead of on first use.
  void preload(const models::QuantizedModel& model) {
    auto load = [this](const models::QuantizedMatrix& m) {
      device_matrix(m.values.data(), m.rows, m.cols);
    };
    for (const models::QuantizedLayer& l : model.layers) {
      for (const models::QuantizedMatrix* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w1, &l.w2, &l.w3}) {
        load(*m);
      }
    }
    load(model.classifier);
  }

  void gemm(const hls::GemmArgs& args) override { driver_.gemm(args, weights(args)); }

  void gemms(const std::vector<hls::GemmArgs>& calls) override {
    std::vector<sim::PlatformDriver::GemmCall> device_calls;
    for (const hls::GemmArgs& args : calls) device_calls.push_back({args, &weights(args)});
    driver_.gemms(device_calls);
  }

  void attention(const hls::AttentionArgs& args) override {
    auto found = caches_.find(args.k);
    if (found == caches_.end()) {
      found = caches_
                  .emplace(args.k, driver_.allocate_kv_cache(args.n_kv_heads, args.head_size,
                                                             max_positions_))
                  .first;
    }
    driver_.attention(args, found->second);
  }

 private:
  const sim::PlatformDriver::DeviceMatrix& weights(const hls::GemmArgs& args) {
    return device_matrix(args.w, args.n, args.k);
  }
  const sim::PlatformDriver::DeviceMatrix& device_matrix(const std::int8_t* w, int n, int k) {
    auto found = weights_.find(w);
    if (found == weights_.end()) found = weights_.emplace(w, driver_.upload_weights(w, n, k)).first;
    return found->second;
  }

  sim::PlatformDriver driver_;
  int max_positions_;
  std::map<const std::int8_t*, sim::PlatformDriver::DeviceMatrix> weights_;
  std::map<const std::int8_t*, sim::PlatformDriver::DeviceKvCache> caches_;
};

}  // namespace tessera::runtime
