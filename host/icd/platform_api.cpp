// Platform, devices and contexts.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "icd/util.hpp"
#include "tessera/icd/cl_ext_tessera.h"
#include "tessera/sim/rtl_accelerator.hpp"

using namespace tessera::icd;
namespace sim = tessera::sim;

std::string _cl_device_id::name() const {
  return "tessera " + preset + " (" + sim::to_string(fidelity) + ")";
}

sim::Platform& _cl_device_id::simulator() {
  if (!platform) {
    sim::PlatformOptions options;
    options.fidelity = fidelity;
    // A debugging output, not a property of the device: rtl devices write the GEMM
    // engine's waveform there, cycles START:STOP of TESSERA_ICD_FST_WINDOW only
    // (tessera bench decode --fst and --fst-window set them).
    const char* fst = std::getenv("TESSERA_ICD_FST");
    if (fidelity == sim::Fidelity::kRtl && fst != nullptr) {
      options.fst_path = fst;
      if (const char* window = std::getenv("TESSERA_ICD_FST_WINDOW")) {
        try {
          options.fst_window = sim::parse_waveform_window(window);
        } catch (const std::invalid_argument& e) {
          std::fprintf(stderr,
                       "tessera ICD: TESSERA_ICD_FST_WINDOW %s; the waveform keeps every cycle\n",
                       e.what());
        }
      }
    }
    platform = std::make_unique<sim::Platform>(config, options);
    platform->keep_command_times(true);  // for the events of submitted kernels
  }
  return *platform;
}

namespace tessera::icd {
namespace {

// Never destroyed: objects stay known (and reachable) until the process ends, also
// while other libraries' exit handlers still call into the ICD.
std::set<void*>& live_objects() {
  static auto* objects = new std::set<void*>;
  return *objects;
}

}  // namespace

std::recursive_mutex& api_mutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

cl_platform_id the_platform() {
  static _cl_platform_id platform = [] {
    _cl_platform_id p;
    p.dispatch = dispatch_table();
    return p;
  }();
  return &platform;
}

namespace {

// The configurations the ICD offers, by device name: the files listed in
// $TESSERA_DEVICES (colon-separated; named by their file name without .json) first,
// then the presets (hls::config_search_path). A name offered once only; a file that
// does not load is left out (and reported with TESSERA_ICD_LOG=1).
std::vector<std::pair<std::string, hls::HardwareConfig>> offered_configs() {
  std::vector<std::pair<std::string, std::string>> sources;  // name, file or preset
  if (const char* list = std::getenv("TESSERA_DEVICES")) {
    std::istringstream parts(list);
    for (std::string file; std::getline(parts, file, ':');) {
      if (!file.empty()) sources.emplace_back(std::filesystem::path(file).stem().string(), file);
    }
  }
  for (const std::string& preset : hls::preset_names()) sources.emplace_back(preset, preset);
  std::vector<std::pair<std::string, hls::HardwareConfig>> out;
  for (const auto& [name, source] : sources) {
    const std::string& wanted = name;  // (a structured binding cannot be captured in C++17)
    const bool offered =
        std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.first == wanted; });
    if (offered) continue;
    try {
      out.emplace_back(name, hls::load_preset(source));
    } catch (const std::exception& e) {
      if (const char* log = std::getenv("TESSERA_ICD_LOG"); log && std::string(log) == "1") {
        std::fprintf(stderr, "tessera ICD: %s\n", e.what());
      }
    }
  }
  return out;
}

}  // namespace

// Every configuration at every fidelity its array can run (rtl needs a Verilated
// engine).
const std::vector<cl_device_id>& devices() {
  static const auto* list = new std::vector<cl_device_id>([] {
    std::vector<cl_device_id> out;
    for (const auto& [preset, config] : offered_configs()) {
      for (sim::Fidelity f : {sim::Fidelity::kFunc, sim::Fidelity::kTlm, sim::Fidelity::kRtl}) {
        if (f == sim::Fidelity::kRtl && !sim::rtl_unavailable_reason(config).empty()) continue;
        auto* device = new _cl_device_id;
        device->dispatch = dispatch_table();
        device->preset = preset;
        device->fidelity = f;
        device->config = config;
        out.push_back(device);
      }
    }
    return out;
  }());
  return *list;
}

void track(void* object) { live_objects().insert(object); }

namespace {
template <typename T>
bool alive(T object) {
  return object != nullptr && live_objects().count(object) != 0 && object->alive;
}
}  // namespace

bool valid_device_type(cl_device_type type) {
  const cl_device_type known = CL_DEVICE_TYPE_DEFAULT | CL_DEVICE_TYPE_CPU | CL_DEVICE_TYPE_GPU |
                               CL_DEVICE_TYPE_ACCELERATOR | CL_DEVICE_TYPE_CUSTOM;
  return type == CL_DEVICE_TYPE_ALL || (type != 0 && (type & ~known) == 0);
}

std::vector<cl_device_id> devices_of_type(cl_device_type type) {
  if (type == CL_DEVICE_TYPE_ALL || (type & CL_DEVICE_TYPE_ACCELERATOR) != 0) return devices();
  if ((type & CL_DEVICE_TYPE_DEFAULT) != 0 && !devices().empty()) return {devices().front()};
  return {};
}

// The OpenCL C 1.1 features the 1.2 specification asks every 1.1+ device to list
// (section 9: core features that keep their extension names), and tessera's own.
std::string device_extensions() {
  return "cl_khr_global_int32_base_atomics cl_khr_global_int32_extended_atomics "
         "cl_khr_local_int32_base_atomics cl_khr_local_int32_extended_atomics "
         "cl_khr_byte_addressable_store cl_tessera_counters cl_tessera_faults";
}

bool valid(cl_platform_id platform) { return platform == the_platform(); }
bool valid(cl_device_id device) {
  const auto& all = devices();
  return std::find(all.begin(), all.end(), device) != all.end();
}
bool valid(cl_context context) { return alive(context); }
bool valid(cl_command_queue queue) { return alive(queue); }
bool valid(cl_mem buffer) { return alive(buffer); }
bool valid(cl_program program) { return alive(program); }
bool valid(cl_kernel kernel) { return alive(kernel); }
bool valid(cl_event event) { return alive(event); }

}  // namespace tessera::icd

namespace {

constexpr const char* kPlatformName = "tessera";
constexpr const char* kVendor = "tessera";
constexpr const char* kVersion = "OpenCL 1.2 tessera";

cl_int get_platform_ids(cl_uint num_entries, cl_platform_id* platforms, cl_uint* num_platforms) {
  if ((num_entries == 0 && platforms != nullptr) ||
      (platforms == nullptr && num_platforms == nullptr))
    return CL_INVALID_VALUE;
  if (platforms != nullptr) platforms[0] = the_platform();
  if (num_platforms != nullptr) *num_platforms = 1;
  return CL_SUCCESS;
}

}  // namespace

namespace tessera::icd::api {

cl_int CL_API_CALL clIcdGetPlatformIDsKHR(cl_uint num_entries, cl_platform_id* platforms,
                                          cl_uint* num_platforms) {
  std::lock_guard lock(api_mutex());
  return get_platform_ids(num_entries, platforms, num_platforms);
}

cl_int CL_API_CALL clGetPlatformIDs(cl_uint num_entries, cl_platform_id* platforms,
                                    cl_uint* num_platforms) {
  std::lock_guard lock(api_mutex());
  return get_platform_ids(num_entries, platforms, num_platforms);
}

cl_int CL_API_CALL clGetPlatformInfo(cl_platform_id platform, cl_platform_info param_name,
                                     size_t size, void* value, size_t* size_ret) {
  std::lock_guard lock(api_mutex());
  if (platform != nullptr && !valid(platform)) return CL_INVALID_PLATFORM;
  switch (param_name) {
    case CL_PLATFORM_PROFILE:
      return info_string("EMBEDDED_PROFILE", size, value, size_ret);
    case CL_PLATFORM_VERSION:
      return info_string(kVersion, size, value, size_ret);
    case CL_PLATFORM_NAME:
      return info_string(kPlatformName, size, value, size_ret);
    case CL_PLATFORM_VENDOR:
      return info_string(kVendor, size, value, size_ret);
    case CL_PLATFORM_EXTENSIONS:
      return info_string("cl_khr_icd " + device_extensions(), size, value, size_ret);
    case CL_PLATFORM_ICD_SUFFIX_KHR:
      return info_string("tessera", size, value, size_ret);
    case CL_PLATFORM_HOST_TIMER_RESOLUTION:
      return info_value(cl_ulong{0}, size, value, size_ret);
    default:
      return CL_INVALID_VALUE;
  }
}

void* CL_API_CALL clGetExtensionFunctionAddress(const char* name) {
  if (name == nullptr) return nullptr;
  if (std::string(name) == "clIcdGetPlatformIDsKHR") {
    return reinterpret_cast<void*>(&clIcdGetPlatformIDsKHR);
  }
  if (std::string(name) == "clArmFaultTESSERA") {
    const clArmFaultTESSERA_fn arm = &clArmFaultTESSERA;
    return reinterpret_cast<void*>(arm);
  }
  return nullptr;
}

void* CL_API_CALL clGetExtensionFunctionAddressForPlatform(cl_platform_id, const char* name) {
  return clGetExtensionFunctionAddress(name);
}

cl_int CL_API_CALL clGetDeviceIDs(cl_platform_id platform, cl_device_type type, cl_uint num_entries,
                                  cl_device_id* out, cl_uint* num_devices) {
  std::lock_guard lock(api_mutex());
  if (platform != nullptr && !valid(platform)) return CL_INVALID_PLATFORM;
  if (!valid_device_type(type)) return CL_INVALID_DEVICE_TYPE;
  if ((num_entries == 0 && out != nullptr) || (out == nullptr && num_devices == nullptr))
    return CL_INVALID_VALUE;
  const std::vector<cl_device_id> matching = devices_of_type(type);
  if (matching.empty()) return CL_DEVICE_NOT_FOUND;
  if (out != nullptr) {
    for (cl_uint i = 0; i < num_entries && i < matching.size(); ++i) out[i] = matching[i];
  }
  if (num_devices != nullptr) *num_devices = static_cast<cl_uint>(matching.size());
  return CL_SUCCESS;
}

cl_int CL_API_CALL clRetainDevice(cl_device_id device) {
  std::lock_guard lock(api_mutex());
  return valid(device) ? CL_SUCCESS : CL_INVALID_DEVICE;  // root devices are not counted
}

cl_int CL_API_CALL clReleaseDevice(cl_device_id device) {
  std::lock_guard lock(api_mutex());
  return valid(device) ? CL_SUCCESS : CL_INVALID_DEVICE;
}

}  // namespace tessera::icd::api

// The three symbols the ICD loader looks up by name; everything else is reached
// through the dispatch table (the library hides all other symbols).
extern "C" {
__attribute__((visibility("default"))) CL_API_ENTRY cl_int CL_API_CALL
clIcdGetPlatformIDsKHR(cl_uint num_entries, cl_platform_id* platforms, cl_uint* num_platforms) {
  return tessera::icd::api::clIcdGetPlatformIDsKHR(num_entries, platforms, num_platforms);
}
__attribute__((visibility("default"))) CL_API_ENTRY void* CL_API_CALL
clGetExtensionFunctionAddress(const char* name) {
  return tessera::icd::api::clGetExtensionFunctionAddress(name);
}
__attribute__((visibility("default"))) CL_API_ENTRY cl_int CL_API_CALL
clGetPlatformInfo(cl_platform_id platform, cl_platform_info param_name, size_t size, void* value,
                  size_t* size_ret) {
  return tessera::icd::api::clGetPlatformInfo(platform, param_name, size, value, size_ret);
}
}

// Dispatch table entries of this file.
TESSERA_ICD_ENTRY(clGetPlatformIDs)
TESSERA_ICD_ENTRY(clGetExtensionFunctionAddress)
TESSERA_ICD_ENTRY(clGetPlatformInfo)
TESSERA_ICD_ENTRY(clGetExtensionFunctionAddressForPlatform)
TESSERA_ICD_ENTRY(clGetDeviceIDs)
TESSERA_ICD_ENTRY(clRetainDevice)
TESSERA_ICD_ENTRY(clReleaseDevice)
