#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.hpp"
#include "runtime/device.hpp"
#include "tessera/models/error.hpp"
#include "tessera/models/model_paths.hpp"
#include "tessera/models/model_summary.hpp"

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

// One model-looking file of the model directory, described from its header.
struct ListedFile {
  std::string name;
  std::string kind;  // "model", "tokenizer" or "unreadable"
  std::string description;
};

std::string describe_config(const models::ModelConfig& c) {
  return "dim " + std::to_string(c.dim) + ", " + std::to_string(c.n_layers) + " layers, " +
         std::to_string(c.n_heads) + " heads (kv " + std::to_string(c.n_kv_heads) + "), vocab " +
         std::to_string(c.vocab_size) + ", context " + std::to_string(c.seq_len);
}

ListedFile describe_file(const fs::path& file) {
  ListedFile listed{file.filename().string(), "model", ""};
  try {
    const models::CheckpointHeader header = models::read_checkpoint_header(file);
    listed.description = models::to_string(header.format) + ", " + describe_config(header.config);
    if (header.format == models::CheckpointFormat::kGguf)
      listed.description += ", tokenizer inside";
  } catch (const models::InputError& error) {
    if (const auto tokens = models::llama2c_tokenizer_entries(file)) {
      listed.kind = "tokenizer";
      listed.description = "llama2.c tokenizer, " + std::to_string(*tokens) + " tokens";
    } else {
      listed.kind = "unreadable";
      listed.description = error.problem();
    }
  }
  return listed;
}

// The .bin and .gguf files of `dir`, by name.
std::vector<ListedFile> list_model_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string extension = entry.path().extension().string();
    if (entry.is_regular_file(error) && (extension == ".bin" || extension == ".gguf")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<ListedFile> listed;
  for (const fs::path& file : files) listed.push_back(describe_file(file));
  return listed;
}

int show_models_json(const ModelsOptions& options) {
  const models::ModelDirectory chosen = models::find_model_directory(options.model_dir);
  nlohmann::ordered_json out;
  out["model_directory"] = {{"path", chosen.path.string()}, {"origin", chosen.origin}};
  out["files"] = nlohmann::ordered_json::object();
  for (const char* file : {models::kDefaultModelFile, "tok512.bin"}) {
    out["files"][file] = has_file(chosen.path, file);
  }
  out["model_files"] = nlohmann::ordered_json::array();
  for (const ListedFile& file : list_model_files(chosen.path)) {
    out["model_files"].push_back(
        {{"name", file.name}, {"kind", file.kind}, {"description", file.description}});
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
  const std::vector<ListedFile> files = list_model_files(chosen.path);
  if (!files.empty()) std::cout << "model files (llama2.c .bin, GGUF .gguf):\n";
  for (const ListedFile& file : files) {
    std::cout << "  " << file.name << ": " << file.description << '\n';
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
