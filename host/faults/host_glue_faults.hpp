#pragma once

// Faults in the host glue (site host_glue, docs/reliability.md): the fp32 values the
// runtime's host ops produce between the device's kernels, outside any device check.

#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <random>

#include "faults/device_faults.hpp"

namespace tessera::faults {

// Event N is the Nth host op output (counted from arming, runtime::Int8Model's
// host_op_output order); when it comes, one bit of one of its values, both drawn
// from the spec's seed, is flipped or stuck.
class HostGlueFaults final : public FaultHooks {
 public:
  void arm(const sim::FaultSpec& spec) override;
  void disarm() override { armed_.reset(); }
  nlohmann::json record() const override;
  // The runtime's hook (runtime::PartitionOptions::host_op_output).
  void host_op_output(const char* op, int layer, Eigen::VectorXf& output);

 private:
  std::optional<sim::FaultSpec> armed_;
  sim::FaultRecord record_;
  std::mt19937_64 rng_;
  std::uint64_t events_ = 0;
};

}  // namespace tessera::faults
