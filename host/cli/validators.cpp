#include "cli/commands.hpp"
#include "runtime/device.hpp"

namespace tessera::cli {

CLI::Validator known_device_validator() {
  return CLI::Validator(
      [](std::string& name) -> std::string {
        std::string known;
        for (const auto& device : runtime::available_devices()) {
          if (device.name == name) return {};
          known += (known.empty() ? "" : ", ") + device.name;
        }
        return "unknown device '" + name + "' (available: " + known + ")";
      },
      "DEVICE", "known device");
}

}  // namespace tessera::cli
