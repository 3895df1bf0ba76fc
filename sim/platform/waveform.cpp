#include <charconv>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/sim/platform.hpp"

namespace tessera::sim {

std::vector<std::string> waveform_files(const std::string& fst_path, int gemm_units) {
  if (fst_path.empty()) return {};
  std::vector<std::string> files = {fst_path};
  const std::filesystem::path path(fst_path);
  for (int i = 1; i < gemm_units; ++i) {
    std::filesystem::path unit = path;
    unit.replace_filename(path.stem().string() + ".gemm" + std::to_string(i) +
                          path.extension().string());
    files.push_back(unit.string());
  }
  return files;
}

namespace {

std::uint64_t parse_cycle(const std::string& text, std::uint64_t if_empty) {
  if (text.empty()) return if_empty;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw std::invalid_argument("'" + text + "' is not a cycle count");
  }
  return value;
}

}  // namespace

WaveformWindow parse_waveform_window(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) {
    throw std::invalid_argument("'" + text + "' is not START:STOP (clock cycles)");
  }
  WaveformWindow window;
  window.start_cycle = parse_cycle(text.substr(0, colon), window.start_cycle);
  window.stop_cycle = parse_cycle(text.substr(colon + 1), window.stop_cycle);
  if (window.stop_cycle <= window.start_cycle) {
    throw std::invalid_argument("'" + text + "' is empty: STOP must be after START");
  }
  return window;
}

}  // namespace tessera::sim
