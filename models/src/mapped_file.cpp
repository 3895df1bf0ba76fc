#include "tessera/models/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "tessera/models/error.hpp"

namespace tessera::models {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Closes the descriptor on every path out of the constructor; the mapping outlives it.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) : path_(path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw InputError(path, "cannot open: " + errno_text());
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw InputError(path, "cannot stat: " + errno_text());
  if (!S_ISREG(info.st_mode)) throw InputError(path, "not a regular file");
  size_ = static_cast<std::size_t>(info.st_size);
  if (size_ == 0) return;  // mmap rejects empty files; callers see size() == 0.
  void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (mapped == MAP_FAILED) throw InputError(path, "cannot map: " + errno_text());
  data_ = static_cast<const std::uint8_t*>(mapped);
}

void MappedFile::release_resident_pages() const {
  if (size_ != 0) ::madvise(const_cast<std::uint8_t*>(data_), size_, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

}  // namespace tessera::models
