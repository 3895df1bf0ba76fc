#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

namespace tessera::models {

// A whole file mapped read-only. Model weights are used in place from the mapping,
// as llama2.c does, so loading a checkpoint costs no copy.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

  // The pages read so far leave resident memory; reading them again maps them back
  // in from the file (the mapping is private and read-only, so nothing is lost).
  void release_resident_pages() const;

 private:
  std::filesystem::path path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace tessera::models
