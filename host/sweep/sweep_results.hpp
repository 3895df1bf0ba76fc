#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "sweep/sweep_spec.hpp"

namespace tessera::sweep {

// A sweep's folder: manifest.jsonl (one point per line), points/ID.json (each point's
// result, written whole or not at all) and the aggregates results.csv and
// results.json.
class SweepFolder {
 public:
  explicit SweepFolder(std::filesystem::path dir);
  const std::filesystem::path& dir() const { return dir_; }

  // Creates the folder and writes the manifest; throws std::runtime_error when it
  // cannot.
  void prepare(const std::vector<Point>& points) const;
  bool has_result(const Point& point) const;
  std::optional<nlohmann::ordered_json> result(const Point& point) const;
  void write_result(const Point& point, const nlohmann::ordered_json& result) const;

  struct Summary {
    int ok = 0, over_budget = 0, invalid = 0, missing = 0;
  };
  // results.csv and results.json from every point's result, in the grid's order;
  // only what the simulation determines (no wall times), so the same spec gives the
  // same bytes however its points were run.
  Summary aggregate(const SweepSpec& spec, const std::vector<Point>& points) const;

 private:
  std::filesystem::path point_file(const Point& point) const;
  std::filesystem::path dir_;
};

}  // namespace tessera::sweep
