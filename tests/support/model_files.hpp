#pragma once

#include <filesystem>
#include <string>

namespace tessera::testing {

// The real model files, found in the default model directory (the same search the
// CLI uses). A missing file throws with the message saying where to get it, so the
// test that needed it fails loudly instead of being skipped.
std::filesystem::path real_model_file(const std::string& name);

// A fresh, empty folder under the system temp folder, removed with its contents when
// the object goes away.
class TempDir {
 public:
  explicit TempDir(const std::string& stem);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace tessera::testing
