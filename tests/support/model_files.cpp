#include "support/model_files.hpp"

#include <unistd.h>

#include <atomic>

#include "tessera/models/model_paths.hpp"

namespace tessera::testing {

std::filesystem::path real_model_file(const std::string& name) {
  const auto dir = models::find_model_directory(std::nullopt);
  return models::resolve_model_file(name, dir);
}

TempDir::TempDir(const std::string& stem) {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("tessera-" + stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace tessera::testing
