#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/int8_model.hpp"
#include "runtime/recovery.hpp"

namespace tessera::runtime {

// Int8Kernels on an OpenCL device: the PoCL CPU fallback (the int8 kernels in OpenCL
// C, host/runtime/kernels/tessera_int8.cl) or a tessera accelerator through the ICD
// (its built-in kernels, docs/opencl.md). Weights and each layer's K/V cache stay in
// device buffers: on the accelerator, weights packed in its own layout and the K/V
// cache in its attention records, so per call only activations, the new position's
// K/V and the results cross the host link.
class OpenClKernels final : public Int8Kernels {
 public:
  enum class Kernels { kSource, kBuiltIn };
  // The first device whose platform name contains `platform` and whose device name
  // contains `device`. Throws std::runtime_error naming what is missing.
  // `source` replaces the shipped OpenCL C kernels (kSource only; empty: shipped).
  OpenClKernels(const std::string& platform, const std::string& device, Kernels kernels,
                int max_positions, const std::string& source = {});
  ~OpenClKernels() override;
  OpenClKernels(const OpenClKernels&) = delete;
  OpenClKernels& operator=(const OpenClKernels&) = delete;

  void gemm(const hls::GemmArgs& args) override { gemms({args}); }
  void gemms(const std::vector<hls::GemmArgs>& calls) override;
  void attention(const hls::AttentionArgs& args) override;
  // Puts an N x K weight matrix on the device now rather than at its first use.
  void load_weights(const models::QuantizedMatrix& w);
  // Waits until the device has finished everything it was given (clFinish).
  void finish();
  std::string device_name() const;

  // What a tessera device counts (its cl_tessera_counters query); for other devices
  // nothing.
  struct DeviceCounters {
    double simulated_seconds = 0;
    std::uint64_t host_link_bytes = 0;  // both directions
    std::uint64_t memory_bytes_read = 0;
    std::string json;  // the whole answer
  };
  std::optional<DeviceCounters> device_counters() const;

  // Every command the device ran, with its profiling times (device ns: simulated
  // time on a timed tessera device, host wall-clock time elsewhere) and the bytes the
  // runtime asked it to move.
  struct Command {
    std::string kind;  // "write", "read", "gemm", "attention", "kv append"
    std::uint64_t queued_ns = 0, start_ns = 0, end_ns = 0;
    std::uint64_t bytes = 0;
  };
  const std::vector<Command>& commands() const;
  void clear_commands();

 private:
  static bool joinable(const std::vector<hls::GemmArgs>& calls);
  void gemm_batch(const std::vector<hls::GemmArgs>& calls);

  struct State;
  std::unique_ptr<State> state_;
};

// Counters JSON `after` less `before` (cl_tessera_counters objects): numbers
// subtracted, bandwidths recomputed for the interval.
nlohmann::ordered_json counters_difference(const nlohmann::ordered_json& after,
                                           const nlohmann::ordered_json& before);

// The OpenCL C source of the CPU fallback's kernels.
const char* int8_kernels_source();

}  // namespace tessera::runtime
