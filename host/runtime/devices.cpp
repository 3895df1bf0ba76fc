#include <stdexcept>

#include "runtime/device.hpp"
#include "runtime/hls_kernels.hpp"
#include "runtime/int8_model.hpp"
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
  HlsDevice(const models::Checkpoint& checkpoint, int max_positions, hls::ArrayShape array)
      : kernels_(array), model_(checkpoint, max_positions, kernels_) {}
  const Eigen::VectorXf& forward(int token, int pos) override { return model_.forward(token, pos); }
  std::string name() const override { return "hls"; }

 private:
  HlsKernels kernels_;
  Int8Model model_;
};

}  // namespace

std::vector<DeviceInfo> available_devices() {
  return {{"reference", "fp32 Eigen reference forward pass on the CPU (the golden model)"},
          {"hls",
           "int8 model path: every matmul and attention through the HLS C models "
           "(--array, default " +
               hls::to_string(hls::kDefaultArray) + ")"}};
}

std::unique_ptr<Device> open_device(const std::string& name, const models::Checkpoint& checkpoint,
                                    int max_positions, const DeviceOptions& options) {
  if (name == "reference") return std::make_unique<ReferenceDevice>(checkpoint, max_positions);
  if (name == "hls") {
    if (!hls::is_supported(options.array)) {
      throw std::invalid_argument("array " + hls::to_string(options.array) +
                                  " is not supported by the HLS kernels");
    }
    return std::make_unique<HlsDevice>(checkpoint, max_positions, options.array);
  }
  std::string known;
  for (const auto& device : available_devices()) known += (known.empty() ? "" : ", ") + device.name;
  throw std::invalid_argument("unknown device '" + name + "' (available: " + known + ")");
}

}  // namespace tessera::runtime
