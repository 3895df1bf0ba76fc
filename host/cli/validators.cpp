#include "cli/commands.hpp"
#include "runtime/device.hpp"
#include "tessera/hls/array_config.hpp"

namespace tessera::cli {

CLI::Validator known_device_validator() {
  return CLI::Validator(
      [](std::string& name) -> std::string { return runtime::check_device_name(name); }, "DEVICE",
      "known device");
}

CLI::Option* add_array_option(CLI::App& command, hls::ArrayShape* array) {
  return command
      .add_option_function<std::string>(
          "--array", [array](const std::string& text) { *array = hls::parse_array_shape(text); },
          "systolic array RxC of the int8 devices (default " + hls::to_string(hls::kDefaultArray) +
              ")")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            try {
              hls::parse_array_shape(text);
            } catch (const std::invalid_argument& error) {
              return error.what();
            }
            return {};
          },
          "RxC", "array shape"));
}

}  // namespace tessera::cli
