#include "tessera/models/model_paths.hpp"

#include <cstdlib>

#include "tessera/models/error.hpp"

namespace tessera::models {
namespace {

namespace fs = std::filesystem;

std::optional<fs::path> environment_path(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return fs::path(value);
}

std::optional<fs::path> cache_root() {
  if (auto xdg = environment_path("XDG_CACHE_HOME")) return *xdg / "tessera";
  if (auto home = environment_path("HOME")) return *home / ".cache" / "tessera";
  return std::nullopt;
}

std::optional<fs::path> download_cache() {
  if (auto root = cache_root()) return *root / "models";
  return std::nullopt;
}

bool directory_exists(const fs::path& p) {
  std::error_code error;
  return fs::is_directory(p, error);
}

bool file_exists(const fs::path& p) {
  std::error_code error;
  return fs::is_regular_file(p, error);
}

}  // namespace

std::vector<ModelDirectory> model_directory_candidates(const std::optional<fs::path>& flag) {
  std::vector<ModelDirectory> candidates;
  if (flag) candidates.push_back({*flag, "--model-dir"});
  if (auto env = environment_path(kModelDirEnvironment)) {
    candidates.push_back({*env, std::string("$") + kModelDirEnvironment});
  }
  candidates.push_back(
      {(fs::path(TESSERA_SOURCE_DIR) / ".." / "shared" / "models").lexically_normal(),
       "../shared/models beside the checkout"});
  if (auto cache = download_cache()) candidates.push_back({*cache, "download cache"});
  return candidates;
}

ModelDirectory find_model_directory(const std::optional<fs::path>& flag) {
  const auto candidates = model_directory_candidates(flag);
  // An explicit choice is honoured even when the folder is missing, so the error
  // names the folder the user asked for.
  if (flag || environment_path(kModelDirEnvironment)) return candidates.front();
  for (const auto& candidate : candidates) {
    if (file_exists(candidate.path / kDefaultModelFile)) return candidate;
  }
  for (const auto& candidate : candidates) {
    if (directory_exists(candidate.path)) return candidate;
  }
  return candidates.front();
}

fs::path resolve_model_file(const std::string& name, const ModelDirectory& dir) {
  const fs::path given(name);
  if (file_exists(given)) return given;
  if (given.is_relative() && file_exists(dir.path / given)) return dir.path / given;
  std::string where = given.is_relative() ? "not found here nor in the model directory " +
                                                dir.path.string() + " (" + dir.origin + ")"
                                          : "not found";
  throw InputError(given, where + "; stories260K.bin and tok512.bin come from " +
                              kModelDownloadPage + " (scripts/fetch-models downloads and checks " +
                              "them; --model-dir or $" + kModelDirEnvironment +
                              " points tessera at them)");
}

fs::path synthetic_model_directory() {
  if (auto root = cache_root()) return *root / "synthetic";
  return fs::temp_directory_path() / "tessera-synthetic";
}

fs::path default_tokenizer(const fs::path& model, int vocab_size) {
  const fs::path beside = model.parent_path();
  const fs::path candidates[] = {"tokenizer.bin", beside / "tokenizer.bin",
                                 beside / ("tok" + std::to_string(vocab_size) + ".bin")};
  for (const auto& candidate : candidates) {
    if (file_exists(candidate)) return candidate;
  }
  throw InputError(model,
                   "no tokenizer given (-z) and none found beside the model "
                   "(tokenizer.bin or tok" +
                       std::to_string(vocab_size) + ".bin)");
}

Tokenizer tokenizer_for(const Checkpoint& checkpoint, const std::optional<fs::path>& file) {
  const int vocab_size = checkpoint.config().vocab_size;
  if (file) return Tokenizer::load(*file, vocab_size);
  if (auto embedded = checkpoint.embedded_tokenizer()) return *embedded;
  return Tokenizer::load(default_tokenizer(checkpoint.path(), vocab_size), vocab_size);
}

}  // namespace tessera::models
