#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/int8_model.hpp"

namespace tessera::runtime {

// Int8Kernels on an OpenCL device: the PoCL CPU fallback (the int8 kernels in OpenCL
// C, host/runtime/kernels/tessera_int8.cl) or a tessera accelerator through the ICD
// (its built-in kernels, docs/opencl.md). Both take the same arguments; weights and
// each layer's K/V cache stay in device buffers.
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

  void gemm(const hls::GemmArgs& args) override;
  void attention(const hls::AttentionArgs& args) override;
  std::string device_name() const;

  // Every command the device ran, with its profiling times (device ns; simulated
  // time on a tessera device) and the bytes it moved over the host link.
  struct Command {
    std::string kind;  // "write", "read", "gemm", "attention"
    std::uint64_t start_ns = 0, end_ns = 0;
    std::uint64_t bytes = 0;
  };
  const std::vector<Command>& commands() const;
  void clear_commands();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The OpenCL C source of the CPU fallback's kernels.
const char* int8_kernels_source();

}  // namespace tessera::runtime
