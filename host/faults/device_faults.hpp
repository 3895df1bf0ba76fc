#pragma once

// A tessera OpenCL device's cl_tessera_faults extension (cl_ext_tessera.h), as any
// OpenCL program reaches it: arm a fault, read what it did.

#include <nlohmann/json.hpp>
#include <string>

#include "tessera/sim/faults.hpp"

namespace tessera::faults {

// Where a campaign arms its faults: the device, or the host runtime.
class FaultHooks {
 public:
  virtual ~FaultHooks() = default;
  // Throws std::invalid_argument when the site cannot take it.
  virtual void arm(const sim::FaultSpec& spec) = 0;
  virtual void disarm() = 0;
  // The armed fault's record (sim::to_json's object); null when none is armed.
  virtual nlohmann::json record() const = 0;
};

class DeviceFaults final : public FaultHooks {
 public:
  // The tessera device named `device_name` ("tessera kv260 (tlm)"); throws
  // std::runtime_error when the ICD offers none.
  explicit DeviceFaults(const std::string& device_name);
  void arm(const sim::FaultSpec& spec) override;
  void disarm() override;
  // CL_DEVICE_FAULT_JSON_TESSERA.
  nlohmann::json record() const override;

 private:
  void* device_ = nullptr;  // cl_device_id
  void* arm_ = nullptr;     // clArmFaultTESSERA_fn
};

}  // namespace tessera::faults
