#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.hpp"
#include "runtime/device.hpp"
#include "tessera/models/model_paths.hpp"

namespace tessera::cli {
namespace {

namespace fs = std::filesystem;

struct ModelsOptions {
  std::optional<fs::path> model_dir;
  bool print_dir = false;
  bool json = false;
};

bool has_file(const fs::path& dir, const char* name) {
  std::error_code error;
  return fs::is_regular_file(dir / name, error);
}

int show_models_json(const ModelsOptions& options) {
  const models::ModelDirectory chosen = models::find_model_directory(options.model_dir);
  nlohmann::ordered_json out;
  out["model_directory"] = {{"path", chosen.path.string()}, {"origin", chosen.origin}};
  out["files"] = nlohmann::ordered_json::object();
  for (const char* file : {models::kDefaultModelFile, "tok512.bin"}) {
    out["files"][file] = has_file(chosen.path, file);
  }
  out["searched"] = nlohmann::ordered_json::array();
  for (const auto& candidate : models::model_directory_candidates(options.model_dir)) {
    out["searched"].push_back({{"path", candidate.path.string()}, {"origin", candidate.origin}});
  }
  out["devices"] = nlohmann::ordered_json::array();
  for (const auto& device : runtime::available_devices()) {
    out["devices"].push_back({{"name", device.name}, {"description", device.description}});
  }
  std::cout << out.dump(2) << '\n';
  return 0;
}

int show_models(const ModelsOptions& options) {
  if (options.json) return show_models_json(options);
  const models::ModelDirectory chosen = models::find_model_directory(options.model_dir);
  if (options.print_dir) {
    std::cout << chosen.path.string() << '\n';
    return 0;
  }
  std::cout << "model directory: " << chosen.path.string() << " (" << chosen.origin << ")\n";
  for (const char* file : {models::kDefaultModelFile, "tok512.bin"}) {
    std::cout << "  " << file << ": " << (has_file(chosen.path, file) ? "present" : "missing")
              << '\n';
  }
  std::cout << "searched, in order:\n";
  for (const auto& candidate : models::model_directory_candidates(options.model_dir)) {
    std::cout << "  " << candidate.path.string() << " (" << candidate.origin << ")\n";
  }
  std::cout << "downloads: " << models::kModelDownloadPage << " (scripts/fetch-models)\n";
  std::cout << "devices:\n";
  for (const auto& device : runtime::available_devices()) {
    std::cout << "  " << device.name << ": " << device.description << '\n';
  }
  return 0;
}

}  // namespace

Command add_models_command(CLI::App& app) {
  auto options = std::make_shared<ModelsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "models", "Show where tessera looks for model files, what it found, and its devices");
  cmd->add_option("--model-dir", options->model_dir, "folder to look in first");
  cmd->add_flag("--print-dir", options->print_dir, "print only the chosen model directory");
  cmd->add_flag("--json", options->json, "print one JSON object");
  return {cmd, [options] { return show_models(*options); }};
}

}  // namespace tessera::cli
