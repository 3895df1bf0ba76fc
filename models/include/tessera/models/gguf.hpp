#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tessera/models/ggml_types.hpp"

namespace tessera::models {

class MappedFile;

// GGUF metadata value types (ggml's gguf_type).
enum class GgufType : std::uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
std::string to_string(GgufType type);

// One metadata value. Integers are widened to 64 bits, floats to double; `type`
// keeps what the file stored. An array keeps its element type and elements.
struct GgufValue {
  GgufType type = GgufType::kUint8;
  GgufType element_type = GgufType::kUint8;  // arrays only
  std::variant<std::uint64_t, std::int64_t, double, bool, std::string, std::vector<GgufValue>>
      value;
};

struct GgufTensorInfo {
  std::string name;
  std::vector<std::uint64_t> shape;  // ne0 first: a [out][in] matrix is {in, out}
  const GgmlType* type = nullptr;
  std::uint64_t offset = 0;  // from the start of the tensor data
  std::uint64_t elements = 0;
  std::uint64_t bytes = 0;
};

// A parsed GGUF file (versions 2 and 3; little-endian), its tensor data left in the
// mapping. Parsing checks every count, length, type, shape, alignment and offset
// against the file and throws InputError naming the file and what is wrong.
class GgufFile {
 public:
  static bool has_magic(const MappedFile& file);
  static GgufFile parse(std::shared_ptr<const MappedFile> file);

  std::uint32_t version() const { return version_; }
  std::uint64_t alignment() const { return alignment_; }
  std::uint64_t data_offset() const { return data_offset_; }
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const std::filesystem::path& path() const;
  const std::shared_ptr<const MappedFile>& file() const { return file_; }

  const GgufValue* find(const std::string& key) const;
  const GgufTensorInfo* find_tensor(const std::string& name) const;
  const std::uint8_t* tensor_data(const GgufTensorInfo& tensor) const;

  // Typed look-ups: nullopt when the key is absent, InputError when it holds another
  // type (any integer type is accepted for an integer, any float type for a number).
  std::optional<std::uint64_t> unsigned_integer(const std::string& key) const;
  std::optional<double> number(const std::string& key) const;
  std::optional<std::string> string(const std::string& key) const;
  // The elements of an array of `element` type (integer arrays accept any integer type).
  const std::vector<GgufValue>* array(const std::string& key, GgufType element) const;

  // Throws InputError naming the file: "GGUF: problem" (control bytes escaped).
  [[noreturn]] void fail(const std::string& problem) const;

 private:
  explicit GgufFile(std::shared_ptr<const MappedFile> file) : file_(std::move(file)) {}

  std::shared_ptr<const MappedFile> file_;
  std::uint32_t version_ = 0;
  std::uint64_t alignment_ = 32;
  std::uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::map<std::string, std::size_t> metadata_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, std::size_t> tensor_index_;
};

// A value as text for listings: strings quoted, arrays summarized by type and length.
std::string describe(const GgufValue& value);

// "[64, 512]": a tensor shape for messages and listings.
std::string shape_text(const std::vector<std::uint64_t>& shape);

}  // namespace tessera::models
