#pragma once

#include <Eigen/Core>
#include <functional>
#include <memory>
#include <string>

#include "runtime/device.hpp"
#include "runtime/placement.hpp"

namespace tessera::runtime {

struct PartitionOptions {
  std::string accelerator;  // "accel[:PRESET[:FIDELITY]]"
  std::string place;        // --place: "", "auto", "accel", "cpu" or a list
  bool check = false;       // --check
  bool stats = false;       // --stats
  bool statistics = false;  // --stats-json: per-block statistics for statistics_json()
  std::string trace_path;   // --trace FILE.json
  std::string cpu_kernels;  // --cpu-kernels: OpenCL C source replacing the fallback's kernels
  PhaseProgress progress;   // quantizing and uploading the weights
  // Fault injection in the host glue (tessera faults --site host_glue): sees, and may
  // change, every fp32 host op's output (Int8Model::host_op_output).
  std::function<void(const char* op, int layer, Eigen::VectorXf& output)> host_op_output;
};

// The int8 model with its blocks placed on the simulated accelerator (through the
// ICD) or the PoCL CPU fallback; optionally checking every op against the int8
// reference (bit for bit) and every block against the fp32 reference, counting per
// block statistics and writing a Chrome trace (docs/runtime.md).
std::unique_ptr<Device> open_partitioned_device(const models::Checkpoint& checkpoint,
                                                int max_positions, const PartitionOptions& options);

}  // namespace tessera::runtime
