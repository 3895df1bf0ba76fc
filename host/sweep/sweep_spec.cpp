#include "sweep/sweep_spec.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "tessera/hls/hardware_config.hpp"
#include "tessera/models/model_config_json.hpp"
#include "tessera/models/model_shapes.hpp"
#include "tessera/models/model_summary.hpp"

namespace tessera::sweep {

namespace {

using json = nlohmann::ordered_json;

const std::vector<std::string> kSpecFields = {"name",     "description", "base",
                                              "fidelity", "vary",        "workloads"};
const std::vector<std::string> kWorkloadFields = {"name", "model_shape", "model",
                                                  "mode", "tokens",      "context"};

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& message) {
  throw SpecError(file.string() + ": " + message);
}

void reject_unknown(const std::filesystem::path& file, const json& object,
                    const std::vector<std::string>& known, const std::string& what) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      fail(file,
           "'" + key + "' is not a " + what + " field (the fields are " + joined(known) + ")");
    }
  }
}

int whole_number(const std::filesystem::path& file, const json& node, const std::string& key,
                 int fallback, int minimum) {
  if (!node.contains(key)) return fallback;
  const json& value = node.at(key);
  if (!value.is_number_integer() || value.get<long>() < minimum || value.get<long>() > 1 << 20) {
    fail(file, key + " = " + value.dump() + " must be a whole number from " +
                   std::to_string(minimum) + " to " + std::to_string(1 << 20));
  }
  return value.get<int>();
}

// An optional text field: `fallback` when absent, a SpecError when not a string.
std::string text_field(const std::filesystem::path& file, const json& node, const std::string& key,
                       const std::string& fallback, const std::string& where) {
  if (!node.contains(key)) return fallback;
  if (!node.at(key).is_string()) {
    fail(file, where + key + " = " + node.at(key).dump() + " must be a string");
  }
  return node.at(key).get<std::string>();
}

// A known shape by name.
models::ModelShape known_shape(const std::filesystem::path& file, const json& node,
                               const std::string& where) {
  const std::vector<std::string> shapes = models::model_shape_names();
  if (!node.at("model_shape").is_string()) {
    fail(file, where + ".model_shape must be a string (one of " + joined(shapes) + ")");
  }
  const std::string name = node.at("model_shape").get<std::string>();
  if (std::find(shapes.begin(), shapes.end(), name) == shapes.end()) {
    fail(file, where + ".model_shape '" + name + "' is not a known shape (" + joined(shapes) + ")");
  }
  return models::model_shape(name);
}

// A file the spec names: as given when absolute, else beside the spec.
std::filesystem::path beside_spec(const std::filesystem::path& file, const std::string& name) {
  return std::filesystem::path(name).is_absolute() ? std::filesystem::path(name)
                                                   : file.parent_path() / name;
}

// A checkpoint's shape, from its header (llama2.c or GGUF; no weights are read).
models::ModelShape checkpoint_shape(const std::filesystem::path& file,
                                    const std::string& model_file, const std::string& where) {
  const std::filesystem::path path = beside_spec(file, model_file);
  models::ModelSummary summary;
  try {
    summary = models::summarize_model_file(path, std::nullopt);
  } catch (const std::exception& e) {
    fail(file, where + ".model: " + e.what());
  }
  if (!summary.config) {
    fail(file, where + ".model: " + path.string() + ": " + summary.config_problem);
  }
  return models::model_shape(path.stem().string(), *summary.config);
}

Workload read_workload(const std::filesystem::path& file, const json& node, std::size_t i) {
  const std::string where = "workloads[" + std::to_string(i) + "]";
  if (!node.is_object()) fail(file, where + " must be an object");
  reject_unknown(file, node, kWorkloadFields, "workload");
  Workload w;
  if (node.contains("model_shape") == node.contains("model")) {
    fail(file, where + " needs exactly one of model_shape (one of " +
                   joined(models::model_shape_names()) +
                   ") or model (a llama2.c or GGUF checkpoint)");
  }
  if (node.contains("model_shape")) {
    w.shape = known_shape(file, node, where);
  } else {
    w.model_file = text_field(file, node, "model", "", where + ".");
    w.shape = checkpoint_shape(file, w.model_file, where);
  }
  const std::string mode = text_field(file, node, "mode", "decode", where + ".");
  if (mode != "decode" && mode != "prefill") {
    fail(file, where + ".mode '" + mode + "' must be decode or prefill");
  }
  w.prefill = mode == "prefill";
  w.tokens = whole_number(file, node, "tokens", w.tokens, 1);
  w.context = whole_number(file, node, "context", w.context, 0);
  w.name = text_field(file, node, "name",
                      w.shape.name + " " + mode + " " + std::to_string(w.tokens) +
                          (w.context > 0 ? " @" + std::to_string(w.context) : ""),
                      where + ".");
  return w;
}

// The configuration JSON with `value` at the dotted path `field`; an object value
// sets its fields one by one, leaving the others as they were.
void apply(json& config, const std::string& field, const json& value) {
  json* node = &config;
  std::stringstream path(field);
  for (std::string key; std::getline(path, key, '.');) node = &(*node)[key];
  if (value.is_object() && node->is_object()) {
    for (const auto& [key, v] : value.items()) apply(*node, key, v);
  } else {
    *node = value;
  }
}

json read_base(const std::filesystem::path& file, const std::string& base) {
  std::filesystem::path config_file;
  if (hls::names_a_file(base)) {
    config_file = beside_spec(file, base);
  } else {
    try {
      hls::load_preset(base);  // an unknown name: the message lists the presets
    } catch (const hls::ConfigError& e) {
      fail(file, "base: " + std::string(e.what()));
    }
    config_file = hls::preset_file(base);
  }
  std::ifstream in(config_file);
  if (!in) fail(file, "base: cannot read " + config_file.string());
  std::stringstream text;
  text << in.rdbuf();
  try {
    hls::parse_hardware_config(text.str(), config_file.string());
    return json::parse(text.str());
  } catch (const std::exception& e) {
    fail(file, "base: " + std::string(e.what()));
  }
}

// A field the configuration format does not have is the spec's mistake, not a point's.
void check_field(const SweepSpec& spec, const Axis& axis) {
  for (const json& value : axis.values) {
    json config = spec.base_json;
    try {
      apply(config, axis.field, value);
    } catch (const json::exception&) {  // a path through a value that is not an object
      fail(spec.file, "vary." + axis.field + " is not a configuration field");
    }
    try {
      hls::parse_hardware_config(config.dump(), spec.file.string());
    } catch (const hls::ConfigError& e) {
      const std::string message = e.what();
      if (message.find("is not a configuration field") != std::string::npos) {
        fail(spec.file,
             "vary." + axis.field + ": " +
                 message.substr(message.find(": ") == std::string::npos ? 0
                                                                        : message.find(": ") + 2));
      }
    }
  }
}

std::string hash_id(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(h));
  return std::string(id, 12);
}

}  // namespace

nlohmann::ordered_json Workload::to_json() const {
  json out = {{"name", name}};
  if (model_file.empty()) {
    out["model_shape"] = shape.name;
  } else {
    // The shape read from the file, so a point's id changes with what is timed.
    out["model"] = model_file;
    out["shape"] = models::model_config_json(shape.config);
  }
  out["mode"] = prefill ? "prefill" : "decode";
  out["tokens"] = tokens;
  out["context"] = context;
  return out;
}

nlohmann::ordered_json Point::manifest_line() const {
  return {{"id", id}, {"index", index}, {"settings", settings}, {"workload", workload.to_json()}};
}

namespace {

// The grid is expanded in memory and each point is a simulation: a grid beyond this
// is a mistake (a million tlm points is days of cluster time), refused, not attempted.
constexpr std::uint64_t kMaxPoints = 1000000;

void check_grid_size(const SweepSpec& spec) {
  std::uint64_t points = spec.workloads.size();
  std::string product = std::to_string(spec.workloads.size()) + " workloads";
  for (const Axis& axis : spec.axes) {
    product += " x " + std::to_string(axis.values.size());
    if (__builtin_mul_overflow(points, axis.values.size(), &points) || points > kMaxPoints) {
      fail(spec.file, "the grid (" + product + " ...) has more than " + std::to_string(kMaxPoints) +
                          " points; split the sweep");
    }
  }
}

}  // namespace

SweepSpec parse_spec(const std::string& text, const std::filesystem::path& file) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {  // syntax, or a number beyond double's range
    fail(file, std::string("not valid JSON: ") + e.what());
  }
  if (!root.is_object()) fail(file, "a sweep specification is a JSON object");
  reject_unknown(file, root, kSpecFields, "sweep");
  SweepSpec spec;
  spec.file = file;
  spec.name = text_field(file, root, "name", file.stem().string(), "");
  if (!root.contains("base") || !root.at("base").is_string()) {
    fail(file, "base is missing: a preset name or a configuration file");
  }
  spec.base = root.at("base").get<std::string>();
  spec.base_json = read_base(file, spec.base);
  spec.fidelity = text_field(file, root, "fidelity", "tlm", "");
  if (spec.fidelity != "tlm") {
    fail(file, "fidelity '" + spec.fidelity +
                   "': sweeps time model shapes without weights, which only tlm does");
  }
  if (root.contains("vary")) {
    if (!root.at("vary").is_object()) fail(file, "vary must map fields to lists of values");
    for (const auto& [field, values] : root.at("vary").items()) {
      if (!values.is_array() || values.empty()) {
        fail(file, "vary." + field +
                       " must be a non-empty list of values (an empty one "
                       "leaves no grid)");
      }
      Axis axis{field, {}};
      for (const json& v : values) axis.values.push_back(v);
      check_field(spec, axis);
      spec.axes.push_back(std::move(axis));
    }
  }
  if (!root.contains("workloads") || !root.at("workloads").is_array() ||
      root.at("workloads").empty()) {
    fail(file, "workloads must be a non-empty list");
  }
  for (std::size_t i = 0; i < root.at("workloads").size(); ++i) {
    spec.workloads.push_back(read_workload(file, root.at("workloads")[i], i));
  }
  check_grid_size(spec);
  return spec;
}

SweepSpec load_spec(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw SpecError(file.string() + ": cannot read the sweep specification");
  std::stringstream text;
  text << in.rdbuf();
  return parse_spec(text.str(), file);
}

std::vector<Point> expand(const SweepSpec& spec) {
  std::vector<json> settings = {json::object()};
  for (const Axis& axis : spec.axes) {
    std::vector<json> grown;
    for (const json& partial : settings) {
      for (const json& value : axis.values) {
        json next = partial;
        next[axis.field] = value;
        grown.push_back(std::move(next));
      }
    }
    settings = std::move(grown);
  }
  std::vector<Point> points;
  for (const json& s : settings) {
    for (const Workload& w : spec.workloads) {
      Point p;
      p.index = static_cast<int>(points.size());
      p.settings = s;
      p.workload = w;
      p.config = spec.base_json;
      for (const auto& [field, value] : s.items()) apply(p.config, field, value);
      p.id = hash_id(p.config.dump() + "|" + w.to_json().dump());
      points.push_back(std::move(p));
    }
  }
  return points;
}

}  // namespace tessera::sweep
