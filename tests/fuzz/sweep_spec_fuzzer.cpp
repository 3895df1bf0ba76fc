// Sweep specifications (configs/sweeps/*.json), as `tessera sweep SPEC` reads them: any
// input parses into a grid or throws SpecError; a grid that parses expands.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sweep/sweep_spec.hpp"
#include "tessera/hls/hardware_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const tessera::sweep::SweepSpec spec = tessera::sweep::parse_spec(text, "fuzz.json");
    std::size_t points = spec.workloads.size();
    for (const auto& axis : spec.axes) points *= axis.values.size();
    if (points <= 4096) tessera::sweep::expand(spec);
  } catch (const tessera::sweep::SpecError&) {
  } catch (const tessera::hls::ConfigError&) {
  }
  return 0;
}
