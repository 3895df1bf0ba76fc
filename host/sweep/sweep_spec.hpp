#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/models/model_shapes.hpp"

namespace tessera::sweep {

// A sweep specification that cannot be run: bad JSON, an unknown or missing key, an
// empty grid, a value out of range. The message is one line naming the spec and the
// key.
class SpecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One workload every hardware point runs: a known model's shape or a checkpoint's,
// timed without weights (docs/sweeps.md).
struct Workload {
  std::string name;          // as the results name it: "stories110m decode 4"
  std::string model_file;    // a checkpoint as the spec names it (relative to its folder)
  models::ModelShape shape;  // what is timed: a known shape, or the checkpoint's header
  bool prefill = false;      // a prompt block of `tokens`; otherwise `tokens` decode steps
  int tokens = 4;
  int context = 0;  // positions already in the KV cache
  nlohmann::ordered_json to_json() const;
};

// A field of the hardware configuration to vary (a dotted path into the config's
// JSON) and the values it takes; an object value sets several fields at once
// (`"gemm_units": [{"rows": 8, "cols": 8}, ...]`).
struct Axis {
  std::string field;
  std::vector<nlohmann::ordered_json> values;
};

struct SweepSpec {
  std::string name;
  std::filesystem::path file;
  std::string base;                  // a preset name or a configuration file
  nlohmann::ordered_json base_json;  // the base configuration's JSON
  std::string fidelity = "tlm";
  std::vector<Axis> axes;
  std::vector<Workload> workloads;
};

// Reads and checks a specification (throws SpecError). A relative `base` file is
// found beside the spec.
SweepSpec load_spec(const std::filesystem::path& file);
SweepSpec parse_spec(const std::string& text, const std::filesystem::path& file);

// One point of the grid: a hardware configuration (the base with `settings`
// applied) running one workload. Its id is a hash of what it runs, so a point keeps
// its id when the grid around it grows.
struct Point {
  std::string id;
  int index = 0;                    // in the grid's order: axes in order, workloads last
  nlohmann::ordered_json settings;  // field -> value, in the axes' order
  Workload workload;
  nlohmann::ordered_json config;  // the base's JSON with the settings applied
  nlohmann::ordered_json manifest_line() const;
};

// The grid's points: the product of the axes' values, times the workloads.
std::vector<Point> expand(const SweepSpec& spec);

}  // namespace tessera::sweep
