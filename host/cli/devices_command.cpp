#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"
#include "runtime/device.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/sim/rtl_accelerator.hpp"

namespace tessera::cli {
namespace {

// The fidelities a configuration runs at, each with why not where it does not.
nlohmann::ordered_json fidelities(const hls::HardwareConfig& config) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["func"] = true;
  out["tlm"] = true;
  const std::string why = sim::rtl_unavailable_reason(config);
  if (why.empty()) {
    out["rtl"] = true;
  } else {
    out["rtl"] = why;
  }
  return out;
}

nlohmann::ordered_json describe(const std::string& preset, const hls::HardwareConfig& c) {
  return {{"preset", preset},
          {"file", hls::preset_file(preset).string()},
          {"name", c.name},
          {"description", c.description},
          {"clock_mhz", c.clock_mhz},
          {"gemm_units", {{"count", c.gemm.count}, {"array", hls::to_string(c.array())}}},
          {"attention_units",
           {{"count", c.attention.count}, {"head_size_max", c.attention.head_size_max}}},
          {"memory",
           {{"bytes", c.memory.bytes},
            {"bandwidth_gbps", c.memory.bandwidth_gbps},
            {"channels", c.memory.channels},
            {"dram_timing", c.memory.dram.modeled}}},
          {"board",
           {{"dsp_slices", c.board.dsp_slices},
            {"dsp_slices_needed", c.dsp_slices_needed()},
            {"luts", c.board.luts},
            {"luts_needed", c.luts_needed()},
            {"flip_flops", c.board.flip_flops},
            {"flip_flops_needed", c.flip_flops_needed()},
            {"fits", c.fits_board()}}},
          {"fidelities", fidelities(c)}};
}

int show_devices(bool json) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const std::string& preset : hls::preset_names()) {
    try {
      list.push_back(describe(preset, hls::load_preset(preset)));
    } catch (const hls::ConfigError& e) {
      list.push_back({{"preset", preset}, {"error", e.what()}});
    }
  }
  if (json) {
    nlohmann::ordered_json out = {{"config_path", nlohmann::ordered_json::array()},
                                  {"presets", list}};
    for (const auto& folder : hls::config_search_path()) out["config_path"].push_back(folder);
    std::cout << out.dump(2) << '\n';
    return 0;
  }
  std::cout << "presets (accel:PRESET[:FIDELITY]; any configuration file works as "
               "accel:FILE.json):\n";
  for (const auto& p : list) {
    if (p.contains("error")) {
      std::cout << "  " << p["preset"].get<std::string>() << ": " << p["error"].get<std::string>()
                << '\n';
      continue;
    }
    std::cout << "  " << p["preset"].get<std::string>() << ": "
              << p["gemm_units"]["count"].get<int>() << " x "
              << p["gemm_units"]["array"].get<std::string>() << " GEMM, "
              << p["attention_units"]["count"].get<int>() << " attention, "
              << p["clock_mhz"].get<double>() << " MHz, "
              << p["memory"]["bandwidth_gbps"].get<double>() << " GB/s in "
              << p["memory"]["channels"].get<int>() << " channels, "
              << p["board"]["dsp_slices_needed"].get<long>() << "/"
              << p["board"]["dsp_slices"].get<int>() << " DSP slices"
              << (p["board"]["fits"].get<bool>() ? "" : " (does not fit as the RTL maps it)")
              << "\n    fidelities:";
    for (const auto& [fidelity, status] : p["fidelities"].items()) {
      std::cout << ' ' << fidelity;
      if (status.is_string()) std::cout << " (not: " << status.get<std::string>() << ")";
    }
    std::cout << "\n    " << p["file"].get<std::string>() << '\n';
  }
  std::cout << "searched, in order:";
  for (const auto& folder : hls::config_search_path()) std::cout << ' ' << folder.string();
  std::cout << " ($TESSERA_CONFIG_PATH first)\n";
  return 0;
}

}  // namespace

Command add_devices_command(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "devices", "List the accelerator presets: units, clock, memory, board budget, fidelities");
  cmd->add_flag("--json", *json, "print one JSON object");
  return {cmd, [json] { return show_devices(*json); }};
}

}  // namespace tessera::cli
