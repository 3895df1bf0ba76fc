#include "sweep/sweep_results.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sweep/sweep_point.hpp"

namespace tessera::sweep {

namespace {

using json = nlohmann::ordered_json;

// Writes `text` to `file` through a temporary beside it, so a reader sees the whole
// file or none.
void write_whole(const std::filesystem::path& file, const std::string& text) {
  const std::filesystem::path partial =
      file.string() + ".partial-" + std::to_string(static_cast<long>(getpid()));
  {
    std::ofstream out(partial, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + partial.string());
  }
  std::filesystem::rename(partial, file);
}

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string csv_value(const json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return csv_cell(value.get<std::string>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_float()) {
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", value.get<double>());
    return text;
  }
  return csv_cell(value.dump());
}

// The result's value for a results.csv column.
json column_value(const json& result, const std::string& column) {
  for (const char* group : {"metrics", "resources"}) {
    if (result.contains(group) && result.at(group).is_object() &&
        result.at(group).contains(column)) {
      return result.at(group).at(column);
    }
  }
  return result.value(column, json());
}

}  // namespace

SweepFolder::SweepFolder(std::filesystem::path dir) : dir_(std::move(dir)) {}

std::filesystem::path SweepFolder::point_file(const Point& point) const {
  return dir_ / "points" / (point.id + ".json");
}

void SweepFolder::prepare(const std::vector<Point>& points) const {
  std::error_code error;
  std::filesystem::create_directories(dir_ / "points", error);
  if (error) throw std::runtime_error(dir_.string() + ": cannot create: " + error.message());
  std::string manifest;
  for (const Point& p : points) manifest += p.manifest_line().dump() + "\n";
  write_whole(dir_ / "manifest.jsonl", manifest);
}

bool SweepFolder::has_result(const Point& point) const {
  return std::filesystem::exists(point_file(point));
}

std::optional<nlohmann::ordered_json> SweepFolder::result(const Point& point) const {
  std::ifstream in(point_file(point));
  if (!in) return std::nullopt;
  try {
    return json::parse(in);
  } catch (const json::exception&) {
    return std::nullopt;  // not ours: it is run again
  }
}

void SweepFolder::write_result(const Point& point, const nlohmann::ordered_json& result) const {
  write_whole(point_file(point), result.dump(2) + "\n");
}

SweepFolder::Summary SweepFolder::aggregate(const SweepSpec& spec,
                                            const std::vector<Point>& points) const {
  Summary summary;
  std::ostringstream csv;
  csv << "id,workload";
  for (const Axis& axis : spec.axes) csv << "," << csv_cell(axis.field);
  for (const std::string& column : result_columns()) csv << "," << column;
  csv << "\n";
  json rows = json::array();
  for (const Point& p : points) {
    json r = result(p).value_or(json{{"id", p.id}, {"status", "missing"}});
    const std::string status = r.value("status", "missing");
    if (status == "ok")
      ++summary.ok;
    else if (status == "over_budget")
      ++summary.over_budget;
    else if (status == "invalid")
      ++summary.invalid;
    else
      ++summary.missing;
    csv << p.id << "," << csv_cell(p.workload.name);
    for (const Axis& axis : spec.axes) csv << "," << csv_value(p.settings.at(axis.field));
    for (const std::string& column : result_columns())
      csv << "," << csv_value(column_value(r, column));
    csv << "\n";
    json row = p.manifest_line();
    for (const auto& [key, value] : r.items()) {
      if (key != "id" && key != "index") row[key] = value;
    }
    rows.push_back(std::move(row));
  }
  write_whole(dir_ / "results.csv", csv.str());
  const json document = {
      {"sweep", spec.name}, {"base", spec.base}, {"fidelity", spec.fidelity}, {"points", rows}};
  write_whole(dir_ / "results.json", document.dump(2) + "\n");
  return summary;
}

}  // namespace tessera::sweep
