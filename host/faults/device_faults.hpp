#pragma once

// A tessera OpenCL device's cl_tessera_faults extension (cl_ext_tessera.h), as any
// OpenCL program reaches it: arm a fault, read what it did.

#include <nlohmann/json.hpp>
#include <string>

#include "tessera/sim/faults.hpp"

namespace tessera::faults {

class DeviceFaults {
 public:
  // The tessera device named `device_name` ("tessera kv260 (tlm)"); throws
  // std::runtime_error when the ICD offers none.
  explicit DeviceFaults(const std::string& device_name);
  // Throws std::invalid_argument when the device refuses it.
  void arm(const sim::FaultSpec& spec);
  void disarm();
  // The armed fault's record (CL_DEVICE_FAULT_JSON_TESSERA); null when none is armed.
  nlohmann::json record() const;

 private:
  void* device_ = nullptr;  // cl_device_id
  void* arm_ = nullptr;     // clArmFaultTESSERA_fn
};

}  // namespace tessera::faults
