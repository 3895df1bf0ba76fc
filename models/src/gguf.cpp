#include "tessera/models/gguf.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <utility>

#include "file_cursor.hpp"
#include "tessera/models/error.hpp"
#include "tessera/models/mapped_file.hpp"

namespace tessera::models {
namespace {

constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};
constexpr std::uint32_t kMaxDimensions = 4;  // GGML_MAX_DIMS
constexpr int kMaxArrayNesting = 8;
constexpr const char* kAlignmentKey = "general.alignment";

// The smallest encoding of one value of each type: what a count must leave room for.
std::uint64_t min_encoded_bytes(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool:
      return 1;
    case GgufType::kUint16:
    case GgufType::kInt16:
      return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32:
      return 4;
    case GgufType::kString:
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kFloat64:
      return 8;
    case GgufType::kArray:
      return 12;  // element type and count
  }
  return 1;
}

bool known_type(std::uint32_t type) {
  return type <= static_cast<std::uint32_t>(GgufType::kFloat64);
}

bool is_integer(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kUint16:
    case GgufType::kInt16:
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kUint64:
    case GgufType::kInt64:
      return true;
    default:
      return false;
  }
}

// The GGUF reader's cursor: strings and room for counts checked too.
class Reader : public detail::FileCursor {
 public:
  explicit Reader(const MappedFile& file) : FileCursor(file, "GGUF: ", "file") {}

  std::string read_string(const std::string& what) {
    const auto length = read<std::uint64_t>(what + "'s length");
    if (length > remaining()) {
      fail(what + " claims " + std::to_string(length) + " bytes at byte " +
           std::to_string(offset()) + " but only " + std::to_string(remaining()) +
           " remain: a truncated file, or a corrupt length");
    }
    return read_bytes(length, what);
  }

  // Fails unless `count` items of at least `min_bytes` each can follow.
  void require_room(std::uint64_t count, std::uint64_t min_bytes, const std::string& what) {
    if (count > remaining() / min_bytes) {
      fail(what + " " + std::to_string(count) + " at byte " + std::to_string(offset()) +
           " cannot fit in the " + std::to_string(remaining()) +
           " bytes that remain: a corrupt count, or a truncated file");
    }
  }
};

GgufValue read_value(Reader& in, GgufType type, const std::string& what, int depth);

GgufValue read_array(Reader& in, const std::string& what, int depth) {
  if (depth >= kMaxArrayNesting) {
    in.fail(what + " nests arrays deeper than " + std::to_string(kMaxArrayNesting));
  }
  const auto element = in.read<std::uint32_t>(what + "'s element type");
  if (!known_type(element)) {
    in.fail(what + " has unknown element type " + std::to_string(element));
  }
  const auto element_type = static_cast<GgufType>(element);
  const auto count = in.read<std::uint64_t>(what + "'s length");
  in.require_room(count, min_encoded_bytes(element_type), what + " length");
  std::vector<GgufValue> elements;
  elements.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) {
    elements.push_back(
        read_value(in, element_type, what + "[" + std::to_string(i) + "]", depth + 1));
  }
  GgufValue value;
  value.type = GgufType::kArray;
  value.element_type = element_type;
  value.value = std::move(elements);
  return value;
}

GgufValue read_value(Reader& in, GgufType type, const std::string& what, int depth) {
  GgufValue value;
  value.type = type;
  switch (type) {
    case GgufType::kUint8:
      value.value = std::uint64_t{in.read<std::uint8_t>(what)};
      break;
    case GgufType::kInt8:
      value.value = std::int64_t{in.read<std::int8_t>(what)};
      break;
    case GgufType::kUint16:
      value.value = std::uint64_t{in.read<std::uint16_t>(what)};
      break;
    case GgufType::kInt16:
      value.value = std::int64_t{in.read<std::int16_t>(what)};
      break;
    case GgufType::kUint32:
      value.value = std::uint64_t{in.read<std::uint32_t>(what)};
      break;
    case GgufType::kInt32:
      value.value = std::int64_t{in.read<std::int32_t>(what)};
      break;
    case GgufType::kUint64:
      value.value = in.read<std::uint64_t>(what);
      break;
    case GgufType::kInt64:
      value.value = in.read<std::int64_t>(what);
      break;
    case GgufType::kFloat32:
      value.value = static_cast<double>(in.read<float>(what));
      break;
    case GgufType::kFloat64:
      value.value = in.read<double>(what);
      break;
    case GgufType::kBool: {
      const auto byte = in.read<std::uint8_t>(what);
      if (byte > 1) in.fail(what + " is a bool holding " + std::to_string(byte));
      value.value = byte == 1;
      break;
    }
    case GgufType::kString:
      value.value = in.read_string(what);
      break;
    case GgufType::kArray:
      return read_array(in, what, depth);
  }
  return value;
}

std::uint32_t read_version(Reader& in) {
  const auto version = in.read<std::uint32_t>("the version");
  if (version == 2 || version == 3) return version;
  if (version == 0x02000000u || version == 0x03000000u) {
    in.fail("a big-endian file (version bytes reversed); tessera reads little-endian GGUF");
  }
  in.fail("version " + std::to_string(version) + " is not supported (supported: 2, 3)");
}

GgufTensorInfo read_tensor_info(Reader& in, std::uint64_t index, std::uint64_t alignment) {
  const std::string what = "tensor info " + std::to_string(index);
  GgufTensorInfo t;
  t.name = in.read_string(what + "'s name");
  const std::string tensor = "tensor " + t.name;
  const auto dims = in.read<std::uint32_t>(tensor + "'s dimension count");
  if (dims == 0 || dims > kMaxDimensions) {
    in.fail(tensor + " has " + std::to_string(dims) + " dimensions (1 to " +
            std::to_string(kMaxDimensions) + " allowed)");
  }
  t.elements = 1;
  for (std::uint32_t d = 0; d < dims; ++d) {
    const auto size = in.read<std::uint64_t>(tensor + "'s dimension " + std::to_string(d));
    t.shape.push_back(size);
    if (size == 0 || __builtin_mul_overflow(t.elements, size, &t.elements) ||
        t.elements > static_cast<std::uint64_t>(INT64_MAX)) {
      in.fail(tensor + " has impossible dimensions " + shape_text(t.shape));
    }
  }
  const auto type_id = in.read<std::uint32_t>(tensor + "'s type");
  t.type = find_ggml_type(type_id);
  if (t.type == nullptr) in.fail(tensor + " has unknown ggml type " + std::to_string(type_id));
  if (t.shape[0] % t.type->block_elements != 0) {
    in.fail(tensor + " of type " + t.type->name + " has rows of " + std::to_string(t.shape[0]) +
            " elements, not a whole number of its " + std::to_string(t.type->block_elements) +
            "-element blocks");
  }
  if (__builtin_mul_overflow(t.elements / t.type->block_elements, t.type->block_bytes, &t.bytes)) {
    in.fail(tensor + " has impossible dimensions " + shape_text(t.shape));
  }
  t.offset = in.read<std::uint64_t>(tensor + "'s data offset");
  if (t.offset % alignment != 0) {
    in.fail(tensor + "'s data offset " + std::to_string(t.offset) + " is not a multiple of the " +
            std::to_string(alignment) + "-byte alignment");
  }
  return t;
}

// Tensor data must lie inside the file, and no two tensors may share bytes.
void check_tensor_extents(const Reader& in, std::vector<const GgufTensorInfo*> tensors,
                          std::uint64_t data_bytes) {
  for (const GgufTensorInfo* t : tensors) {
    if (t->offset > data_bytes || t->bytes > data_bytes - t->offset) {
      in.fail("tensor " + t->name + "'s data (" + std::to_string(t->bytes) + " bytes at offset " +
              std::to_string(t->offset) + ") runs past the end of the file, which has " +
              std::to_string(data_bytes) + " bytes of tensor data");
    }
  }
  std::sort(tensors.begin(), tensors.end(),
            [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
  for (std::size_t i = 1; i < tensors.size(); ++i) {
    const GgufTensorInfo& before = *tensors[i - 1];
    if (tensors[i]->offset < before.offset + before.bytes) {
      in.fail("tensors " + before.name + " and " + tensors[i]->name + " overlap");
    }
  }
}

}  // namespace

std::string to_string(GgufType type) {
  static const char* const kNames[] = {"uint8",  "int8",    "uint16", "int16",  "uint32",
                                       "int32",  "float32", "bool",   "string", "array",
                                       "uint64", "int64",   "float64"};
  const auto index = static_cast<std::uint32_t>(type);
  return index < std::size(kNames) ? kNames[index] : "type " + std::to_string(index);
}

bool GgufFile::has_magic(const MappedFile& file) {
  return file.size() >= sizeof kMagic && std::memcmp(file.data(), kMagic, sizeof kMagic) == 0;
}

GgufFile GgufFile::parse(std::shared_ptr<const MappedFile> mapped) {
  GgufFile gguf(std::move(mapped));
  const MappedFile& file = *gguf.file_;
  Reader in(file);
  if (!has_magic(file)) {
    if (file.size() < sizeof kMagic) in.fail("truncated file: it ends inside the magic");
    in.fail("not a GGUF file: it does not start with the magic \"GGUF\"");
  }
  in.read<std::uint32_t>("the magic");
  gguf.version_ = read_version(in);
  const auto tensor_count = in.read<std::uint64_t>("the tensor count");
  const auto kv_count = in.read<std::uint64_t>("the metadata count");
  in.require_room(kv_count, 8 + 4 + 1, "metadata count");

  gguf.metadata_.reserve(static_cast<std::size_t>(kv_count));
  for (std::uint64_t i = 0; i < kv_count; ++i) {
    const std::string what = "metadata entry " + std::to_string(i);
    std::string key = in.read_string(what + "'s key");
    const auto type = in.read<std::uint32_t>("metadata " + key + "'s type");
    if (!known_type(type)) in.fail("metadata " + key + " has unknown type " + std::to_string(type));
    GgufValue value = read_value(in, static_cast<GgufType>(type), "metadata " + key, 0);
    if (!gguf.metadata_index_.emplace(key, gguf.metadata_.size()).second) {
      in.fail("metadata key " + key + " appears twice");
    }
    gguf.metadata_.emplace_back(std::move(key), std::move(value));
  }
  if (const GgufValue* alignment = gguf.find(kAlignmentKey)) {
    const auto* bytes = std::get_if<std::uint64_t>(&alignment->value);
    if (alignment->type != GgufType::kUint32 || *bytes == 0 || (*bytes & (*bytes - 1)) != 0) {
      in.fail(std::string(kAlignmentKey) + " must be a uint32 power of two, got " +
              describe(*alignment));
    }
    gguf.alignment_ = *bytes;
  }

  in.require_room(tensor_count, 8 + 4 + 8 + 4 + 8, "tensor count");
  gguf.tensors_.reserve(static_cast<std::size_t>(tensor_count));
  for (std::uint64_t i = 0; i < tensor_count; ++i) {
    GgufTensorInfo tensor = read_tensor_info(in, i, gguf.alignment_);
    if (!gguf.tensor_index_.emplace(tensor.name, gguf.tensors_.size()).second) {
      in.fail("tensor " + tensor.name + " appears twice");
    }
    gguf.tensors_.push_back(std::move(tensor));
  }
  const std::uint64_t padding = (gguf.alignment_ - in.offset() % gguf.alignment_) % gguf.alignment_;
  gguf.data_offset_ = in.offset() + padding;
  if (gguf.data_offset_ > file.size()) {
    if (tensor_count != 0) in.fail("truncated file: it ends before its tensor data");
    gguf.data_offset_ = file.size();
  }
  std::vector<const GgufTensorInfo*> extents;
  for (const GgufTensorInfo& t : gguf.tensors_) extents.push_back(&t);
  check_tensor_extents(in, std::move(extents), file.size() - gguf.data_offset_);
  return gguf;
}

const std::filesystem::path& GgufFile::path() const { return file_->path(); }

void GgufFile::fail(const std::string& problem) const {
  throw InputError(path(), "GGUF: " + printable(problem));
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const std::uint8_t* GgufFile::tensor_data(const GgufTensorInfo& tensor) const {
  return file_->data() + data_offset_ + tensor.offset;
}

namespace {

[[noreturn]] void wrong_type(const GgufFile& file, const std::string& key, const GgufValue& value,
                             const std::string& wanted) {
  file.fail("metadata " + key + " should be " + wanted + " but is " + to_string(value.type) + " " +
            describe(value));
}

}  // namespace

std::optional<std::uint64_t> GgufFile::unsigned_integer(const std::string& key) const {
  const GgufValue* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* u = std::get_if<std::uint64_t>(&value->value); u && is_integer(value->type)) {
    return *u;
  }
  if (const auto* i = std::get_if<std::int64_t>(&value->value); i && *i >= 0) {
    return static_cast<std::uint64_t>(*i);
  }
  wrong_type(*this, key, *value, "a non-negative integer");
}

std::optional<double> GgufFile::number(const std::string& key) const {
  const GgufValue* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* d = std::get_if<double>(&value->value)) return *d;
  wrong_type(*this, key, *value, "a floating-point number");
}

std::optional<std::string> GgufFile::string(const std::string& key) const {
  const GgufValue* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&value->value)) return *s;
  wrong_type(*this, key, *value, "a string");
}

const std::vector<GgufValue>* GgufFile::array(const std::string& key, GgufType element) const {
  const GgufValue* value = find(key);
  if (value == nullptr) return nullptr;
  const bool matches =
      value->type == GgufType::kArray &&
      (value->element_type == element || (is_integer(element) && is_integer(value->element_type)));
  if (!matches) wrong_type(*this, key, *value, "an array of " + to_string(element));
  return &std::get<std::vector<GgufValue>>(value->value);
}

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string describe(const GgufValue& value) {
  struct Visitor {
    std::string operator()(std::uint64_t v) const { return std::to_string(v); }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const {
      char text[32];
      std::snprintf(text, sizeof text, "%g", v);
      return text;
    }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const {
      return "\"" + (v.size() > 60 ? v.substr(0, 57) + "..." : v) + "\"";
    }
    std::string operator()(const std::vector<GgufValue>& v) const {
      return "[" + std::to_string(v.size()) + " " + to_string(element) + "]";
    }
    GgufType element;
  };
  return std::visit(Visitor{value.element_type}, value.value);
}

}  // namespace tessera::models
