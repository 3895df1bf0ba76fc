#pragma once

#include <Eigen/Core>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tessera/hls/array_config.hpp"
#include "tessera/models/checkpoint.hpp"

namespace tessera::runtime {

// Progress of a phase of work: (phase, steps done, steps in the phase); step 0 says
// the phase starts.
using PhaseProgress = std::function<void(const char* phase, int step, int steps)>;

// One phase reported to a PhaseProgress (which may be empty): its start when made,
// then each step.
class PhaseSteps {
 public:
  PhaseSteps(const PhaseProgress& progress, const char* phase, int steps)
      : progress_(progress), phase_(phase), steps_(steps) {
    if (progress_) progress_(phase_, 0, steps_);
  }
  void step() {
    if (progress_) progress_(phase_, ++done_, steps_);
  }

 private:
  const PhaseProgress& progress_;
  const char* phase_;
  int steps_;
  int done_ = 0;
};

// Something that runs the model: turns the token at a position into next-token
// logits, keeping its own KV cache. Every backend (the fp32 reference, the HLS model,
// the OpenCL devices) implements this.
class Device {
 public:
  virtual ~Device() = default;
  virtual const Eigen::VectorXf& forward(int token, int pos) = 0;
  virtual std::string name() const = 0;
  // What the device has to say after a run (placement, checks, statistics), or "".
  virtual std::string report() const { return {}; }
  // False when a check the device ran found a mismatch.
  virtual bool checks_passed() const { return true; }
  // The run's statistics as one JSON object (docs/runtime.md, --stats-json), or "" for
  // devices that keep none.
  virtual std::string statistics_json() const { return {}; }
};

// Names accepted by --device, with a line of description each.
struct DeviceInfo {
  std::string name;
  std::string description;
};
std::vector<DeviceInfo> available_devices();

// "accel[:PRESET[:FIDELITY]]" split into its parts (defaults kv260, tlm). Throws
// std::invalid_argument for anything else, naming the presets and fidelities.
// accel[:PRESET[:FIDELITY]], where PRESET is a preset name or a configuration file
// (a path with a '/' or ending in .json).
struct AcceleratorName {
  std::string preset = "kv260";
  std::string fidelity = "tlm";
  // The ICD device that runs it: "tessera NAME (FIDELITY)", NAME the preset or the
  // file's name without .json.
  std::string icd_device() const;
};
AcceleratorName parse_accelerator_name(const std::string& name);
// Empty when `name` is a device open_device accepts, else what is wrong with it.
std::string check_device_name(const std::string& name);

// How a device is built, where the device has a choice.
struct DeviceOptions {
  // The hls device: the C models of this systolic array, or none for the fast kernels
  // (the same integers).
  std::optional<hls::ArrayShape> array;
  // The OpenCL devices (accel, cpu): placement of the blocks, checks, statistics,
  // trace (docs/runtime.md).
  std::string place;
  bool check = false;
  bool stats = false;
  bool statistics = false;  // keep per-block statistics for statistics_json()
  std::string trace_path;
  std::string cpu_kernels;  // OpenCL C source for the CPU fallback instead of the shipped one
  // Opening the int8 devices: ("quantize" | "upload", step, steps).
  PhaseProgress progress;
};

// "" when `options` suit device `name` for a model of n_layers blocks, else what is
// wrong (placement, checks and traces need an OpenCL device; --place must parse).
std::string check_device_options(const std::string& name, const DeviceOptions& options,
                                 int n_layers);

// Opens a device by its --device name for a run of at most max_positions positions.
// Throws std::invalid_argument naming the available devices for an unknown name.
std::unique_ptr<Device> open_device(const std::string& name, const models::Checkpoint& checkpoint,
                                    int max_positions, const DeviceOptions& options = {});

}  // namespace tessera::runtime
