#include "tessera/hls/hardware_config.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tessera::hls {

namespace {

using nlohmann::json;

class Reader {
 public:
  Reader(const json& root, std::string origin) : root_(root), origin_(std::move(origin)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw ConfigError(origin_ + ": " + field + " " + problem);
  }

  const json& at(const std::string& field) const {
    const json* node = &root_;
    std::istringstream parts(field);
    std::string part;
    while (std::getline(parts, part, '.')) {
      if (!node->is_object() || !node->contains(part)) fail(field, "is missing");
      node = &(*node)[part];
    }
    return *node;
  }

  double number(const std::string& field) const {
    const json& v = at(field);
    if (!v.is_number()) fail(field, "must be a number");
    const double d = v.get<double>();
    if (!std::isfinite(d)) fail(field, "must be finite");
    return d;
  }

  double positive(const std::string& field) const {
    const double d = number(field);
    if (!(d > 0)) fail(field, "= " + format(d) + " must be positive");
    return d;
  }

  int positive_int(const std::string& field, double max = 1e9) const {
    const double d = positive(field);
    if (d != std::floor(d) || d > max)
      fail(field, "= " + format(d) + " must be a whole number <= " + format(max));
    return static_cast<int>(d);
  }

  bool flag(const std::string& field, bool absent) const {
    if (!has(field)) return absent;
    const json& v = at(field);
    if (!v.is_boolean()) fail(field, "must be true or false");
    return v.get<bool>();
  }

  bool has(const std::string& field) const {
    const json* node = &root_;
    std::istringstream parts(field);
    std::string part;
    while (std::getline(parts, part, '.')) {
      if (!node->is_object() || !node->contains(part)) return false;
      node = &(*node)[part];
    }
    return true;
  }

  std::string text(const std::string& field) const {
    const json& v = at(field);
    if (!v.is_string() || v.get<std::string>().empty()) fail(field, "must be a non-empty string");
    return v.get<std::string>();
  }

  static std::string format(double d) {
    std::ostringstream out;
    out << d;
    return out.str();
  }

 private:
  const json& root_;
  std::string origin_;
};

// The fields a configuration may have: objects nest, null marks a value, "*" takes
// any keys (free text).
const json& config_schema() {
  static const json schema = json::parse(R"({
    "name": null, "description": null, "clock_mhz": null,
    "gemm_units": {"count": null, "rows": null, "cols": null, "buffer_words": null,
                   "checksums": null, "memory_port_words": null},
    "attention_units": {"count": null, "head_size_max": null, "context_max": null},
    "memory": {"bytes": null, "bandwidth_gbps": null, "latency_ns": null, "channels": null,
               "dram": {"page_bytes": null, "banks": null, "row_miss_ns": null,
                        "activate_window_ns": null, "refresh_interval_ns": null,
                        "refresh_ns": null, "turnaround_ns": null},
               "switch": {"channels_per_switch": null, "lateral_links": null},
               "measured_gbps": null},
    "host_link": {"bandwidth_gbps": null, "latency_us": null},
    "host": {"glue_gflops": null, "driver_us_per_command": null},
    "energy": {"mac_pj": null, "buffer_byte_pj": null, "memory_byte_pj": null,
               "host_link_byte_pj": null, "static_watts": null},
    "address_bits": null,
    "board": {"dsp_slices": null, "bram36": null, "uram": null, "luts": null,
              "flip_flops": null},
    "sources": "*"
  })");
  return schema;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A misspelt field would otherwise run as if absent.
void reject_unknown_fields(const Reader& r, const json& node, const json& schema,
                           const std::string& prefix) {
  if (!node.is_object() || !schema.is_object()) return;
  for (const auto& [key, value] : node.items()) {
    if (!schema.contains(key)) {
      std::string closest;
      std::size_t best = 3;  // suggest only close names
      for (const auto& [known, unused] : schema.items()) {
        const std::size_t d = edit_distance(key, known);
        if (d < best) best = d, closest = known;
      }
      r.fail(prefix + key,
             "is not a configuration field" +
                 (closest.empty() ? std::string() : " (did you mean " + prefix + closest + "?)"));
    }
    reject_unknown_fields(r, value, schema[key], prefix + key + ".");
  }
}

void read_memory_timing(const Reader& r, HardwareConfig::Memory& m) {
  if (r.has("memory.dram")) {
    HardwareConfig::Memory::Dram& d = m.dram;
    d.modeled = true;
    d.page_bytes = r.positive_int("memory.dram.page_bytes", 1 << 20);
    d.banks = r.positive_int("memory.dram.banks", 1024);
    d.row_miss_ns = r.positive("memory.dram.row_miss_ns");
    d.activate_window_ns = r.positive("memory.dram.activate_window_ns");
    d.refresh_interval_ns = r.positive("memory.dram.refresh_interval_ns");
    d.refresh_ns = r.positive("memory.dram.refresh_ns");
    d.turnaround_ns = r.positive("memory.dram.turnaround_ns");
    if (d.refresh_ns >= d.refresh_interval_ns) {
      r.fail("memory.dram.refresh_ns", "= " + Reader::format(d.refresh_ns) +
                                           " must be shorter than refresh_interval_ns = " +
                                           Reader::format(d.refresh_interval_ns));
    }
  }
  if (r.has("memory.switch")) {
    m.crossbar.channels_per_switch = r.positive_int("memory.switch.channels_per_switch", 1024);
    m.crossbar.lateral_links = r.positive_int("memory.switch.lateral_links", 64);
    if (m.channels % m.crossbar.channels_per_switch != 0) {
      r.fail("memory.switch.channels_per_switch",
             "= " + std::to_string(m.crossbar.channels_per_switch) +
                 " must divide memory.channels = " + std::to_string(m.channels));
    }
  }
  if (r.has("memory.measured_gbps")) {
    m.measured_gbps = r.positive("memory.measured_gbps");
    if (m.measured_gbps > m.bandwidth_gbps) {
      r.fail("memory.measured_gbps",
             "= " + Reader::format(m.measured_gbps) +
                 " exceeds the peak memory.bandwidth_gbps = " + Reader::format(m.bandwidth_gbps));
    }
  }
}

void validate(const HardwareConfig& c, const Reader& r) {
  if (!is_supported(c.array())) {
    std::string known;
    for (const ArrayShape& s : supported_arrays())
      known += (known.empty() ? "" : ", ") + to_string(s);
    r.fail("gemm_units.rows/cols", "= " + to_string(c.array()) +
                                       " has no HLS kernel instantiation (supported: " + known +
                                       ")");
  }
  if (c.gemm.buffer_words < kGemmKTile) {
    r.fail("gemm_units.buffer_words", "= " + std::to_string(c.gemm.buffer_words) +
                                          " is smaller than one tile's K chunk (" +
                                          std::to_string(kGemmKTile) + " words)");
  }
  const int port = c.gemm.memory_port_words;
  if (port != 1 && port != kWidePortWords) {
    r.fail("gemm_units.memory_port_words",
           "= " + std::to_string(port) + " must be 1 (a word of the array's rows a beat) or " +
               std::to_string(kWidePortWords) + " (a vector job's gather group a beat)");
  }
  if (c.attention.head_size_max > kAttentionHeadMax) {
    r.fail("attention_units.head_size_max", "= " + std::to_string(c.attention.head_size_max) +
                                                " exceeds the attention kernel's " +
                                                std::to_string(kAttentionHeadMax));
  }
  if (c.attention.context_max > kAttentionContextMax) {
    r.fail("attention_units.context_max", "= " + std::to_string(c.attention.context_max) +
                                              " exceeds the attention kernel's " +
                                              std::to_string(kAttentionContextMax));
  }
  if (c.address_bits < 64 && c.memory.bytes > (std::uint64_t{1} << c.address_bits)) {
    r.fail("memory.bytes", "= " + std::to_string(c.memory.bytes) + " is more than the " +
                               std::to_string(c.address_bits) + "-bit address map holds");
  }
  // A design that cannot fit even if every DSP slice packed two int8 products (the
  // most a DSP48E2 does) cannot be built. One that fits only so is accepted: the
  // RTL maps one product per slice, and fits_board() says whether that fits.
  if (c.dsp_slices_lower_bound() > c.board.dsp_slices) {
    r.fail("gemm_units/attention_units",
           "need at least " + std::to_string(c.dsp_slices_lower_bound()) + " DSP slices (" +
               std::to_string(c.macs_per_cycle()) + " GEMM MACs and " +
               std::to_string(c.attention_multipliers()) +
               " attention int8 multipliers at two per slice, and the units' control and "
               "wide products), more than board.dsp_slices = " +
               std::to_string(c.board.dsp_slices));
  }
  // Logic is an estimate: refused when even its low end is over the board; a design
  // over by less is valid, and fits_board() says it does not fit.
  const auto logic = [&](const char* field, long needed, long available) {
    if (available > 0 && static_cast<double>(needed) * (1.0 - kLogicEstimateError) >
                             static_cast<double>(available)) {
      r.fail(std::string("gemm_units/attention_units"),
             "need about " + std::to_string(needed) + " " + field + " (" +
                 std::to_string(c.macs_per_cycle()) + " GEMM PEs and " +
                 std::to_string(c.attention.count) + " attention units of " +
                 std::to_string(c.attention.head_size_max) + " lanes), more than board." + field +
                 " = " + std::to_string(available) + " even at the estimate's " +
                 std::to_string(static_cast<int>(kLogicEstimateError * 100)) + " % error");
    }
  };
  logic("luts", c.luts_needed(), c.board.luts);
  logic("flip_flops", c.flip_flops_needed(), c.board.flip_flops);
  if (c.on_chip_bits_needed() > c.on_chip_bits_available()) {
    r.fail("gemm_units/attention_units", "need " + std::to_string(c.on_chip_bits_needed()) +
                                             " bits of on-chip buffers, more than the board's " +
                                             std::to_string(c.on_chip_bits_available()));
  }
}

}  // namespace

UnitResources HardwareConfig::resources_needed() const {
  UnitResources gemm_unit = gemm_engine_resources(gemm.rows, gemm.cols, gemm.checksums);
  const UnitResources port = memory_port_resources(gemm.rows, gemm.memory_port_words);
  gemm_unit.dsp_slices += port.dsp_slices;
  gemm_unit.luts += port.luts;
  gemm_unit.flip_flops += port.flip_flops;
  const UnitResources attention_unit = attention_unit_resources(attention.head_size_max);
  const auto total = [&](long UnitResources::*field) {
    return gemm.count * gemm_unit.*field + attention.count * attention_unit.*field;
  };
  return {total(&UnitResources::dsp_slices), total(&UnitResources::luts),
          total(&UnitResources::flip_flops)};
}

long HardwareConfig::dsp_slices_needed() const { return resources_needed().dsp_slices; }
long HardwareConfig::dsp_slices_lower_bound() const {
  const long multipliers = macs_per_cycle() + attention_multipliers();
  return dsp_slices_needed() - multipliers + (multipliers + 1) / 2;
}
bool HardwareConfig::fits_board() const { return fit_shortfall().empty(); }

std::string HardwareConfig::fit_shortfall() const {
  const UnitResources r = resources_needed();
  std::string shortfall;
  const auto add = [&](const std::string& clause) {
    shortfall += (shortfall.empty() ? "" : "; ") + clause;
  };
  const auto over = [&](long needed, long available, const std::string& what,
                        const std::string& field) {
    if (available == 0 || needed <= available) return;
    add("needs " + std::to_string(needed) + " " + what + ", more than board." + field + " = " +
        std::to_string(available));
  };
  over(r.dsp_slices, board.dsp_slices,
       "DSP slices as the RTL maps them (one per int8 multiplier; fits only with two "
       "products per slice)",
       "dsp_slices");
  over(r.luts, board.luts, "LUTs (an estimate)", "luts");
  over(r.flip_flops, board.flip_flops, "flip-flops (an estimate)", "flip_flops");
  if (on_chip_bits_needed() > on_chip_bits_available()) {
    add("needs " + std::to_string(on_chip_bits_needed()) +
        " bits of on-chip buffers, more than the board's " +
        std::to_string(on_chip_bits_available()));
  }
  return shortfall;
}
long HardwareConfig::luts_needed() const { return resources_needed().luts; }
long HardwareConfig::flip_flops_needed() const { return resources_needed().flip_flops; }

std::uint64_t HardwareConfig::on_chip_bits_needed() const {
  const auto gemm_bits = static_cast<std::uint64_t>(gemm.count) *
                         static_cast<std::uint64_t>(gemm.buffer_words) *
                         static_cast<std::uint64_t>(gemm.rows + gemm.cols) * 8;
  // Per position: a value row, a logit or weight (4 bytes) and a value scale (5 bytes).
  const auto attention_bits = static_cast<std::uint64_t>(attention.count) *
                              static_cast<std::uint64_t>(attention.context_max) *
                              static_cast<std::uint64_t>(attention.head_size_max + 9) * 8;
  return gemm_bits + attention_bits;
}

std::uint64_t HardwareConfig::on_chip_bits_available() const {
  return static_cast<std::uint64_t>(board.bram36) * 36 * 1024 +
         static_cast<std::uint64_t>(board.uram) * 288 * 1024;
}

HardwareConfig parse_hardware_config(const std::string& json_text, const std::string& origin) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& error) {  // syntax, or a number beyond double's range
    throw ConfigError(origin + ": not valid JSON (" + std::string(error.what()) + ")");
  }
  if (!root.is_object()) throw ConfigError(origin + ": the configuration must be a JSON object");
  const Reader r(root, origin);
  reject_unknown_fields(r, root, config_schema(), "");
  HardwareConfig c;
  c.name = r.text("name");
  c.description = r.text("description");
  c.clock_mhz = r.positive("clock_mhz");
  c.gemm.count = r.positive_int("gemm_units.count", 1024);
  c.gemm.rows = r.positive_int("gemm_units.rows", 256);
  c.gemm.cols = r.positive_int("gemm_units.cols", 256);
  c.gemm.buffer_words = r.positive_int("gemm_units.buffer_words", 1 << 24);
  c.gemm.checksums = r.flag("gemm_units.checksums", false);
  c.gemm.memory_port_words = r.has("gemm_units.memory_port_words")
                                 ? r.positive_int("gemm_units.memory_port_words", 1 << 16)
                                 : 1;
  c.attention.count = r.positive_int("attention_units.count", 1024);
  c.attention.head_size_max = r.positive_int("attention_units.head_size_max", 1 << 16);
  c.attention.context_max = r.positive_int("attention_units.context_max", 1 << 24);
  const double bytes = r.positive("memory.bytes");
  if (bytes != std::floor(bytes) || bytes > 1.8e19)
    r.fail("memory.bytes", "must be a whole number of bytes");
  c.memory.bytes = static_cast<std::uint64_t>(bytes);
  c.memory.bandwidth_gbps = r.positive("memory.bandwidth_gbps");
  c.memory.latency_ns = r.positive("memory.latency_ns");
  c.memory.channels = r.positive_int("memory.channels", 1024);
  read_memory_timing(r, c.memory);
  c.host_link.bandwidth_gbps = r.positive("host_link.bandwidth_gbps");
  c.host_link.latency_us = r.positive("host_link.latency_us");
  if (r.has("host")) {
    c.host.modeled = true;
    c.host.glue_gflops = r.positive("host.glue_gflops");
    c.host.driver_us_per_command = r.positive("host.driver_us_per_command");
  }
  if (r.has("energy")) {
    c.energy.modeled = true;
    c.energy.mac_pj = r.positive("energy.mac_pj");
    c.energy.buffer_byte_pj = r.positive("energy.buffer_byte_pj");
    c.energy.memory_byte_pj = r.positive("energy.memory_byte_pj");
    c.energy.host_link_byte_pj = r.positive("energy.host_link_byte_pj");
    c.energy.static_watts = r.positive("energy.static_watts");
  }
  c.address_bits = r.positive_int("address_bits", 64);
  c.board.dsp_slices = r.positive_int("board.dsp_slices");
  c.board.bram36 = r.positive_int("board.bram36");
  const double uram = r.number("board.uram");
  if (uram < 0 || uram != std::floor(uram)) r.fail("board.uram", "must be a whole number >= 0");
  c.board.uram = static_cast<int>(uram);
  if (r.has("board.luts")) c.board.luts = r.positive_int("board.luts", 1e8);
  if (r.has("board.flip_flops")) c.board.flip_flops = r.positive_int("board.flip_flops", 1e8);
  validate(c, r);
  return c;
}

HardwareConfig load_hardware_config(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path.string() + ": cannot open hardware configuration");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_hardware_config(text.str(), path.string());
}

std::filesystem::path install_prefix() {
  static const int anchor = 0;
  Dl_info info{};
  if (dladdr(&anchor, &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code error;
  const std::filesystem::path module = std::filesystem::canonical(info.dli_fname, error);
  return error ? std::filesystem::path() : module.parent_path().parent_path();
}

namespace {

// Preset names and their files: the first folder that has a name wins.
std::vector<std::pair<std::string, std::filesystem::path>> preset_files() {
  std::vector<std::pair<std::string, std::filesystem::path>> found;
  for (const std::filesystem::path& folder : config_search_path()) {
    std::error_code error;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
      if (entry.path().extension() == ".json" && entry.is_regular_file(error)) {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      const std::string name = file.stem().string();
      const bool known =
          std::any_of(found.begin(), found.end(), [&](const auto& f) { return f.first == name; });
      if (!known) found.emplace_back(name, file);
    }
  }
  return found;
}

}  // namespace

std::vector<std::filesystem::path> config_search_path() {
  std::vector<std::filesystem::path> folders;
  if (const char* list = std::getenv("TESSERA_CONFIG_PATH")) {
    std::istringstream parts(list);
    for (std::string part; std::getline(parts, part, ':');) {
      if (!part.empty()) folders.emplace_back(part);
    }
  }
  const std::filesystem::path prefix = install_prefix();
  if (!prefix.empty()) folders.push_back(prefix / "share" / "tessera" / "configs");
  return folders;
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& [name, file] : preset_files()) names.push_back(name);
  return names;
}

std::filesystem::path preset_file(const std::string& name) {
  for (const auto& [known, file] : preset_files()) {
    if (known == name) return file;
  }
  return {};
}

bool names_a_file(const std::string& name_or_path) {
  return name_or_path.find('/') != std::string::npos ||
         std::filesystem::path(name_or_path).extension() == ".json";
}

HardwareConfig load_preset(const std::string& name_or_path) {
  if (names_a_file(name_or_path)) return load_hardware_config(name_or_path);
  const std::filesystem::path file = preset_file(name_or_path);
  if (!file.empty()) return load_hardware_config(file);
  std::string known;
  for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
  std::string folders;
  for (const auto& f : config_search_path()) folders += (folders.empty() ? "" : ", ") + f.string();
  throw UnknownPresetError("unknown preset '" + name_or_path +
                           "' (presets: " + (known.empty() ? "none" : known) + ", found in " +
                           (folders.empty() ? "no folder" : folders) +
                           "; or give a path to a .json configuration)");
}

}  // namespace tessera::hls
