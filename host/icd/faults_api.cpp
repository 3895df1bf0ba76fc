// cl_tessera_faults (cl_ext_tessera.h, docs/reliability.md): arming a fault on a
// device and reading what it did.
#include <stdexcept>

#include "icd/util.hpp"
#include "tessera/icd/cl_ext_tessera.h"
#include "tessera/sim/faults.hpp"

using namespace tessera::icd;

namespace tessera::icd::api {

cl_int CL_API_CALL clArmFaultTESSERA(cl_device_id device, const char* site, const char* kind,
                                     cl_ulong event, cl_ulong seed) {
  std::lock_guard lock(api_mutex());
  if (!valid(device)) return CL_INVALID_DEVICE;
  sim::FaultSpec spec;
  try {
    // The work enqueued before arming runs, and its writes land, without it.
    device->settle();
    if (site == nullptr) {
      device->simulator().take_fault();
      return CL_SUCCESS;
    }
    spec.site = sim::parse_fault_site(site);
    spec.kind = sim::parse_bit_fault(kind == nullptr ? "" : kind);
  } catch (const std::invalid_argument& e) {
    return fail(nullptr, CL_INVALID_VALUE, std::string("clArmFaultTESSERA: ") + e.what());
  } catch (const std::exception& e) {
    return fail(nullptr, error_code(e), std::string("clArmFaultTESSERA: ") + e.what());
  }
  spec.event = event;
  spec.seed = seed;
  try {
    device->simulator().arm_fault(spec);
  } catch (const std::invalid_argument& e) {
    return fail(nullptr, CL_INVALID_OPERATION, std::string("clArmFaultTESSERA: ") + e.what());
  }
  return CL_SUCCESS;
}

cl_int fault_json(cl_device_id device, size_t size, void* value, size_t* size_ret) {
  try {
    device->settle();
  } catch (const std::exception& e) {
    return error_code(e);
  }
  const auto record = device->simulator().armed_fault();
  return info_string(record ? sim::to_json(*record) : "null", size, value, size_ret);
}

}  // namespace tessera::icd::api
