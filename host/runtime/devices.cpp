#include <stdexcept>

#include "runtime/device.hpp"
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

}  // namespace

std::vector<DeviceInfo> available_devices() {
  return {{"reference", "fp32 Eigen reference forward pass on the CPU (the golden model)"}};
}

std::unique_ptr<Device> open_device(const std::string& name, const models::Checkpoint& checkpoint,
                                    int max_positions) {
  if (name == "reference") return std::make_unique<ReferenceDevice>(checkpoint, max_positions);
  std::string known;
  for (const auto& device : available_devices()) known += (known.empty() ? "" : ", ") + device.name;
  throw std::invalid_argument("unknown device '" + name + "' (available: " + known + ")");
}

}  // namespace tessera::runtime
