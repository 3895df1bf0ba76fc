#include <unistd.h>

#include <filesystem>

#include "cli/commands.hpp"
#include "runtime/device.hpp"
#include "tessera/hls/array_config.hpp"
#include "tessera/sim/platform.hpp"

namespace tessera::cli {

CLI::Validator known_device_validator() {
  return CLI::Validator(
      [](std::string& name) -> std::string { return runtime::check_device_name(name); }, "DEVICE",
      "known device");
}

CLI::Validator at_least(long minimum) {
  return CLI::Validator(
      [minimum](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || !(value >= static_cast<double>(minimum))) {
          return "must be a whole number >= " + std::to_string(minimum) + " (got " + text + ")";
        }
        return {};
      },
      ">= " + std::to_string(minimum), "at least");
}

CLI::Validator writable_file() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        namespace fs = std::filesystem;
        const fs::path path(text);
        std::error_code error;
        if (fs::is_directory(path, error)) return "cannot write " + text + ": it is a directory";
        const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
        if (!fs::is_directory(folder, error)) {
          return "cannot write " + text + ": no directory " + folder.string();
        }
        if (access(folder.c_str(), W_OK) != 0) {
          return "cannot write " + text + ": " + folder.string() + " is not writable";
        }
        return {};
      },
      "FILE", "writable file");
}

namespace {

// Accepts what `parse` accepts; otherwise the message of its std::invalid_argument.
template <typename Parse>
CLI::Validator parsed_by(Parse parse, const std::string& form, const std::string& name) {
  return CLI::Validator(
      [parse](std::string& text) -> std::string {
        try {
          parse(text);
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
        return {};
      },
      form, name);
}

}  // namespace

CLI::Validator waveform_window() {
  return parsed_by(sim::parse_waveform_window, "START:STOP", "waveform window");
}

sim::WaveformWindow fst_window_option(const std::string& fst, const std::string& window) {
  if (window.empty()) return {};
  if (fst.empty()) {
    throw CLI::ValidationError("--fst-window", "chooses the cycles --fst keeps: give --fst too");
  }
  return sim::parse_waveform_window(window);
}

CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value) || !(value > 0)) {
          return "must be a positive number (got " + text + ")";
        }
        return {};
      },
      "> 0", "positive");
}

void check_array_applies(const CLI::Option* array, const std::string& device) {
  if (array->count() == 0 || device == "hls") return;
  throw CLI::ValidationError("--array sizes the hls device's C models; " + device +
                             " has its own (an accelerator's comes from its preset: "
                             "accel:FILE.json for another array)");
}

CLI::Option* add_array_option(CLI::App& command, std::optional<hls::ArrayShape>* array) {
  return command
      .add_option_function<std::string>(
          "--array", [array](const std::string& text) { *array = hls::parse_array_shape(text); },
          "hls device: compute through the cycle-by-cycle C models of systolic array RxC (the "
          "specification; slower, the same integers) instead of the fast kernels")
      ->check(parsed_by(hls::parse_array_shape, "RxC", "array shape"));
}

CLI::Option* add_array_option(CLI::App& command, hls::ArrayShape* array) {
  return command
      .add_option_function<std::string>(
          "--array", [array](const std::string& text) { *array = hls::parse_array_shape(text); },
          "systolic array RxC of the int8 devices (default " + hls::to_string(hls::kDefaultArray) +
              ")")
      ->check(parsed_by(hls::parse_array_shape, "RxC", "array shape"));
}

}  // namespace tessera::cli
