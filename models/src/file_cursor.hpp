#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "tessera/models/error.hpp"
#include "tessera/models/mapped_file.hpp"

namespace tessera::models::detail {

// Sequential little-endian reader over a mapped file: reading past the end throws an
// InputError naming what was being read ("truncated KIND: it ends inside WHAT at
// byte N"); every message starts with `prefix`.
class FileCursor {
 public:
  FileCursor(const MappedFile& file, std::string prefix, std::string kind)
      : file_(file), prefix_(std::move(prefix)), kind_(std::move(kind)) {}

  template <typename T>
  T read(const std::string& what) {
    T value;
    require(sizeof value, what);
    std::memcpy(&value, file_.data() + offset_, sizeof value);
    offset_ += sizeof value;
    return value;
  }

  std::string read_bytes(std::uint64_t count, const std::string& what) {
    require(count, what);
    std::string bytes(reinterpret_cast<const char*>(file_.data() + offset_),
                      static_cast<std::size_t>(count));
    offset_ += count;
    return bytes;
  }

  std::uint64_t offset() const { return offset_; }
  std::uint64_t remaining() const { return file_.size() - offset_; }

  [[noreturn]] void fail(const std::string& problem) const {
    throw InputError(file_.path(), prefix_ + printable(problem));
  }

 private:
  void require(std::uint64_t count, const std::string& what) const {
    if (remaining() < count) {
      fail("truncated " + kind_ + ": it ends inside " + what + " at byte " +
           std::to_string(offset_));
    }
  }

  const MappedFile& file_;
  std::string prefix_;
  std::string kind_;
  std::uint64_t offset_ = 0;
};

}  // namespace tessera::models::detail
