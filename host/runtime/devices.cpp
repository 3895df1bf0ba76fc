#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "runtime/device.hpp"
#include "runtime/hls_kernels.hpp"
#include "runtime/int8_model.hpp"
#include "runtime/partitioned_device.hpp"
#include "runtime/placement.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/models/reference_model.hpp"

namespace tessera::runtime {
namespace {

class ReferenceDevice final : public Device {
 public:
  ReferenceDevice(const models::Checkpoint& checkpoint, int max_positions)
      : model_(checkpoint, max_positions) {}
  const Eigen::VectorXf& forward(int token, int pos) override { return model_.forward(token, pos); }
  std::string name() const override { return "reference"; }

 private:
  models::ReferenceModel model_;
};

class HlsDevice final : public Device {
 public:
  HlsDevice(const models::Checkpoint& checkpoint, int max_positions,
            std::optional<hls::ArrayShape> array, const PhaseProgress& progress)
      : kernels_(array), model_(checkpoint, max_positions, kernels_, progress) {}
  const Eigen::VectorXf& forward(int token, int pos) override { return model_.forward(token, pos); }
  std::string name() const override { return "hls"; }

 private:
  HlsKernels kernels_;
  Int8Model model_;
};

}  // namespace

AcceleratorName parse_accelerator_name(const std::string& name) {
  std::vector<std::string> parts;
  std::stringstream in(name);
  for (std::string part; std::getline(in, part, ':');) parts.push_back(part);
  if (parts.empty() || parts.size() > 3 || parts[0] != "accel") {
    throw std::invalid_argument("'" + name + "' is not accel[:PRESET[:FIDELITY]]");
  }
  AcceleratorName accel;
  if (parts.size() > 1) accel.preset = parts[1];
  if (parts.size() > 2) accel.fidelity = parts[2];
  if (hls::names_a_file(accel.preset)) {
    if (!std::filesystem::is_regular_file(accel.preset)) {
      throw std::invalid_argument("no configuration file '" + accel.preset + "' in '" + name + "'");
    }
  } else if (const std::vector<std::string> presets = hls::preset_names();
             std::find(presets.begin(), presets.end(), accel.preset) == presets.end()) {
    std::string known;
    for (const auto& p : presets) known += (known.empty() ? "" : ", ") + p;
    throw std::invalid_argument("unknown preset '" + accel.preset + "' in '" + name +
                                "' (presets: " + known + ")");
  }
  // The fidelities of the ICD's device names ("tessera kv260 (tlm)").
  if (accel.fidelity != "func" && accel.fidelity != "tlm" && accel.fidelity != "rtl") {
    throw std::invalid_argument("unknown fidelity '" + accel.fidelity + "' (func, tlm or rtl)");
  }
  return accel;
}

std::string AcceleratorName::icd_device() const {
  const std::string device =
      hls::names_a_file(preset) ? std::filesystem::path(preset).stem().string() : preset;
  return "tessera " + device + " (" + fidelity + ")";
}

std::string check_device_name(const std::string& name) {
  if (name.rfind("accel", 0) == 0) {
    try {
      parse_accelerator_name(name);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return {};
  }
  std::string known;
  for (const auto& device : available_devices()) {
    if (device.name == name) return {};
    known += (known.empty() ? "" : ", ") + device.name;
  }
  return "unknown device '" + name + "' (available: " + known + ")";
}

std::vector<DeviceInfo> available_devices() {
  return {{"reference", "fp32 Eigen reference forward pass on the CPU (the golden model)"},
          {"hls",
           "int8 model path: every matmul and attention through the HLS C models "
           "(--array, default " +
               hls::to_string(hls::kDefaultArray) + ")"},
          {"cpu", "int8 model path on the CPU fallback: the int8 kernels in OpenCL C on PoCL"},
          {"accel[:PRESET[:FIDELITY]]",
           "int8 model path on a simulated tessera accelerator through its OpenCL ICD "
           "(default accel:kv260:tlm; fidelity func, tlm or rtl)"}};
}

namespace {
bool is_opencl_device(const std::string& name) {
  return name == "cpu" || name.rfind("accel", 0) == 0;
}
}  // namespace

std::string check_device_options(const std::string& name, const DeviceOptions& options,
                                 int n_layers) {
  if (!is_opencl_device(name)) {
    if (!options.place.empty() || options.check || options.stats || options.statistics ||
        !options.trace_path.empty() || !options.cpu_kernels.empty()) {
      return "--place, --check, --stats, --stats-json, --trace and --cpu-kernels need --device "
             "accel or cpu";
    }
    return {};
  }
  const std::string no_cpu =
      "--cpu-kernels: nothing runs on the CPU fallback (--place puts no block on cpu)";
  if (options.place.empty()) {
    return name != "cpu" && !options.cpu_kernels.empty() ? no_cpu : std::string();
  }
  if (name == "cpu") {
    if (options.place == "cpu") return {};
    return "--place " + options.place + " needs --device accel[:PRESET[:FIDELITY]]";
  }
  if (options.place == "auto") return {};
  try {
    if (!parse_placement(options.place, n_layers).uses(Backend::kCpu) &&
        !options.cpu_kernels.empty()) {
      return no_cpu;
    }
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}

std::unique_ptr<Device> open_device(const std::string& name, const models::Checkpoint& checkpoint,
                                    int max_positions, const DeviceOptions& options) {
  const std::string problem = check_device_options(name, options, checkpoint.config().n_layers);
  if (!problem.empty()) throw std::invalid_argument(problem);
  if (name == "reference") return std::make_unique<ReferenceDevice>(checkpoint, max_positions);
  if (name == "hls") {
    if (options.array && !hls::is_supported(*options.array)) {
      throw std::invalid_argument("array " + hls::to_string(*options.array) +
                                  " is not supported by the HLS kernels");
    }
    return std::make_unique<HlsDevice>(checkpoint, max_positions, options.array, options.progress);
  }
  if (is_opencl_device(name)) {
    PartitionOptions partition;
    partition.accelerator = name == "cpu" ? "accel" : name;
    partition.place = name == "cpu" ? "cpu" : options.place;
    partition.check = options.check;
    partition.stats = options.stats;
    partition.statistics = options.statistics;
    partition.trace_path = options.trace_path;
    partition.cpu_kernels = options.cpu_kernels;
    partition.progress = options.progress;
    return open_partitioned_device(checkpoint, max_positions, partition);
  }
  throw std::invalid_argument(check_device_name(name));
}

}  // namespace tessera::runtime
