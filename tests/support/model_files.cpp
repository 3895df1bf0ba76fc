#include "support/model_files.hpp"

#include <unistd.h>

#include <atomic>

#include "tessera/models/model_paths.hpp"

namespace tessera::testing {

std::filesystem::path real_model_file(const std::string& name) {
  const auto dir = models::find_model_directory(std::nullopt);
  return models::resolve_model_file(name, dir);
}

std::filesystem::path make_temp_dir(const std::string& stem) {
  static std::atomic<int> counter{0};
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("tessera-" + stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace tessera::testing
