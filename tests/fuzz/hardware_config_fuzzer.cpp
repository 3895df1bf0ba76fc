// Hardware configuration text (configs/*.json), as --preset FILE reads it: any input
// parses into a validated configuration or throws ConfigError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tessera/hls/hardware_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const tessera::hls::HardwareConfig config = tessera::hls::parse_hardware_config(text, "fuzz");
    config.resources_needed();
    config.fits_board();
  } catch (const tessera::hls::ConfigError&) {
  }
  return 0;
}
