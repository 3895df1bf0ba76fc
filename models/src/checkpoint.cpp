#include "tessera/models/checkpoint.hpp"

#include <cctype>
#include <cstring>
#include <limits>
#include <sstream>
#include <utility>

#include "checkpoint_parts.hpp"
#include "tessera/models/error.hpp"
#include "tessera/models/gguf.hpp"
#include "tessera/models/gguf_model.hpp"
#include "tessera/models/mapped_file.hpp"
#include "tessera/models/tokenizer.hpp"

namespace tessera::models {

using std::filesystem::path;

namespace {

constexpr std::uint32_t kVersionedMagic = 0x616b3432;  // "ak42"
constexpr std::size_t kLegacyHeaderBytes = 7 * sizeof(std::int32_t);
constexpr std::size_t kVersionedHeaderBytes = 256;
constexpr std::size_t kSharedFlagOffset = 36;  // after magic, version and 7 ints
constexpr std::size_t kGroupSizeOffset = 37;   // version 2 only, unaligned

std::int32_t read_i32(const std::uint8_t* bytes) {
  std::int32_t value;
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

// Header fields come from untrusted files: every size computation is checked.
class SizeMath {
 public:
  explicit SizeMath(const path& file) : file_(file) {}
  std::uint64_t mul(std::uint64_t a, std::uint64_t b) const {
    std::uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) fail();
    return r;
  }
  std::uint64_t mul(std::uint64_t a, std::uint64_t b, std::uint64_t c) const {
    return mul(mul(a, b), c);
  }
  std::uint64_t add(std::uint64_t a, std::uint64_t b) const {
    std::uint64_t r;
    if (__builtin_add_overflow(a, b, &r)) fail();
    return r;
  }

 private:
  [[noreturn]] void fail() const {
    throw InputError(file_, "dimensions too large for any model file (its size overflows 64 bits)");
  }
  const path& file_;
};

std::string describe(const ModelConfig& c) {
  std::ostringstream out;
  out << "dim=" << c.dim << " hidden_dim=" << c.hidden_dim << " n_layers=" << c.n_layers
      << " n_heads=" << c.n_heads << " n_kv_heads=" << c.n_kv_heads
      << " vocab_size=" << c.vocab_size << " seq_len=" << c.seq_len;
  return out.str();
}

// `field` names what holds the values ("header field "), `hint` ends the message.
void check_positive(const ModelConfig& c, const path& file, const std::string& field,
                    const std::string& hint) {
  const std::pair<const char*, int> fields[] = {
      {"dim", c.dim},         {"hidden_dim", c.hidden_dim}, {"n_layers", c.n_layers},
      {"n_heads", c.n_heads}, {"n_kv_heads", c.n_kv_heads}, {"vocab_size", c.vocab_size},
      {"seq_len", c.seq_len}};
  for (const auto& [name, value] : fields) {
    if (value <= 0) {
      throw InputError(file, field + name + " = " + std::to_string(value) + " must be positive (" +
                                 describe(c) + ")" + hint);
    }
  }
}

// Reads the seven int32 fields every llama2.c format shares. In the legacy format a
// negative vocab_size means the classifier is stored separately (run.c's convention).
ModelConfig read_dimensions(const std::uint8_t* bytes, const path& file, bool legacy) {
  ModelConfig c;
  c.dim = read_i32(bytes + 0);
  c.hidden_dim = read_i32(bytes + 4);
  c.n_layers = read_i32(bytes + 8);
  c.n_heads = read_i32(bytes + 12);
  c.n_kv_heads = read_i32(bytes + 16);
  c.vocab_size = read_i32(bytes + 20);
  c.seq_len = read_i32(bytes + 24);
  if (legacy && c.vocab_size < 0 && c.vocab_size != std::numeric_limits<std::int32_t>::min()) {
    c.shared_classifier = false;
    c.vocab_size = -c.vocab_size;
  }
  check_positive(c, file, "header field ", "; is this a llama2.c checkpoint?");
  return c;
}

void validate_shape(const ModelConfig& c, const path& file) {
  auto fail = [&](const std::string& problem) {
    throw InputError(file, problem + " (" + describe(c) + ")");
  };
  if (c.dim % c.n_heads != 0) fail("dim is not divisible by n_heads");
  if (c.n_kv_heads > c.n_heads) fail("n_kv_heads exceeds n_heads");
  if (c.n_heads % c.n_kv_heads != 0) fail("n_heads is not a multiple of n_kv_heads");
  if (c.head_size() % 2 != 0) fail("head size dim/n_heads is odd; RoPE rotates pairs");
}

// Element counts of every weight tensor, over all layers.
struct TensorCounts {
  std::uint64_t embedding, rms_layers, wq, wkv, wo, w_up, rms_final, rope_table, classifier;
  std::uint64_t quantizable_per_layer_sum;  // wq + wk + wv + wo + w1 + w2 + w3, one layer

  // Floats in the fp32 formats (v0 adds the two unused RoPE tables).
  std::uint64_t fp32_floats(const SizeMath& m, bool with_rope_tables) const {
    std::uint64_t n = embedding;
    for (std::uint64_t t :
         {rms_layers, rms_layers, wq, wkv, wkv, wo, w_up, w_up, w_up, rms_final, classifier}) {
      n = m.add(n, t);
    }
    if (with_rope_tables) n = m.add(n, m.mul(rope_table, 2));
    return n;
  }
};

TensorCounts count_tensors(const ModelConfig& c, const SizeMath& m) {
  const auto dim = static_cast<std::uint64_t>(c.dim);
  const auto layers = static_cast<std::uint64_t>(c.n_layers);
  const auto kv_dim = static_cast<std::uint64_t>(c.kv_dim());
  const auto hidden = static_cast<std::uint64_t>(c.hidden_dim);
  TensorCounts t{};
  t.embedding = m.mul(static_cast<std::uint64_t>(c.vocab_size), dim);
  t.rms_layers = m.mul(layers, dim);
  t.wq = m.mul(layers, dim, dim);
  t.wkv = m.mul(layers, dim, kv_dim);
  t.wo = t.wq;
  t.w_up = m.mul(layers, dim, hidden);
  t.rms_final = dim;
  // run.c skips seq_len * head_size / 2 floats twice (freq_cis_real, freq_cis_imag).
  t.rope_table =
      m.mul(static_cast<std::uint64_t>(c.seq_len), static_cast<std::uint64_t>(c.head_size())) / 2;
  t.classifier = c.shared_classifier ? 0 : t.embedding;
  return t;
}

void require_size(std::uint64_t expected, std::size_t actual, const ModelConfig& c,
                  const path& file, const std::string& format) {
  if (expected == actual) return;
  std::string what = actual < expected ? "truncated file or a header that overstates the model"
                                       : "a header that does not match the weights";
  throw InputError(file, format + " header (" + describe(c) + ") implies " +
                             std::to_string(expected) + " bytes but the file has " +
                             std::to_string(actual) + ": " + what);
}

// Base pointers of each weight stack, layers contiguous as in every llama2.c format.
struct WeightPointers {
  const float* embedding;
  const float* rms_att;
  const float* wq;
  const float* wk;
  const float* wv;
  const float* wo;
  const float* rms_ffn;
  const float* w1;
  const float* w2;
  const float* w3;
  const float* rms_final;
  const float* classifier;
};

// Hands out consecutive tensors from a float array whose size was checked already.
class FloatCursor {
 public:
  explicit FloatCursor(const float* start) : next_(start) {}
  const float* take(std::uint64_t count) {
    const float* here = next_;
    next_ += count;
    return here;
  }

 private:
  const float* next_;
};

std::shared_ptr<const ModelWeights> make_views(const ModelConfig& c, const WeightPointers& p) {
  const Eigen::Index dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim();
  const Eigen::Index q_out = static_cast<Eigen::Index>(c.n_heads) * c.head_size();
  auto weights = std::make_shared<ModelWeights>(
      ModelWeights{ConstMatrixView(p.embedding, c.vocab_size, dim),
                   {},
                   ConstVectorView(p.rms_final, dim),
                   ConstMatrixView(p.classifier, c.vocab_size, dim)});
  weights->layers.reserve(static_cast<std::size_t>(c.n_layers));
  for (Eigen::Index l = 0; l < c.n_layers; ++l) {
    weights->layers.push_back(LayerWeights{ConstVectorView(p.rms_att + l * dim, dim),
                                           ConstMatrixView(p.wq + l * q_out * dim, q_out, dim),
                                           ConstMatrixView(p.wk + l * kv * dim, kv, dim),
                                           ConstMatrixView(p.wv + l * kv * dim, kv, dim),
                                           ConstMatrixView(p.wo + l * dim * q_out, dim, q_out),
                                           ConstVectorView(p.rms_ffn + l * dim, dim),
                                           ConstMatrixView(p.w1 + l * hidden * dim, hidden, dim),
                                           ConstMatrixView(p.w2 + l * dim * hidden, dim, hidden),
                                           ConstMatrixView(p.w3 + l * hidden * dim, hidden, dim)});
  }
  return weights;
}

// llama2.c legacy order: embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3,
// rms_final, two RoPE tables, [classifier].
WeightPointers legacy_layout(const float* start, const TensorCounts& t) {
  FloatCursor cur(start);
  WeightPointers p{};
  p.embedding = cur.take(t.embedding);
  p.rms_att = cur.take(t.rms_layers);
  p.wq = cur.take(t.wq);
  p.wk = cur.take(t.wkv);
  p.wv = cur.take(t.wkv);
  p.wo = cur.take(t.wo);
  p.rms_ffn = cur.take(t.rms_layers);
  p.w1 = cur.take(t.w_up);
  p.w2 = cur.take(t.w_up);
  p.w3 = cur.take(t.w_up);
  p.rms_final = cur.take(t.rms_final);
  cur.take(2 * t.rope_table);
  p.classifier = t.classifier == 0 ? p.embedding : cur.take(t.classifier);
  return p;
}

// export.py version 1 order: norms first, then the matrices, then [classifier].
WeightPointers version1_layout(const float* start, const TensorCounts& t) {
  FloatCursor cur(start);
  WeightPointers p{};
  p.rms_att = cur.take(t.rms_layers);
  p.rms_ffn = cur.take(t.rms_layers);
  p.rms_final = cur.take(t.rms_final);
  p.embedding = cur.take(t.embedding);
  p.wq = cur.take(t.wq);
  p.wk = cur.take(t.wkv);
  p.wv = cur.take(t.wkv);
  p.wo = cur.take(t.wo);
  p.w1 = cur.take(t.w_up);
  p.w2 = cur.take(t.w_up);
  p.w3 = cur.take(t.w_up);
  p.classifier = t.classifier == 0 ? p.embedding : cur.take(t.classifier);
  return p;
}

const float* floats_at(const MappedFile& file, std::size_t offset) {
  return reinterpret_cast<const float*>(file.data() + offset);
}

// The quantized tensors of a version 2 file in file order; per-layer matrices are
// separate tensors.
std::vector<std::uint64_t> quantized_tensors(const ModelConfig& c, const TensorCounts& t) {
  const auto layers = static_cast<std::uint64_t>(c.n_layers);
  std::vector<std::uint64_t> tensors{t.embedding};
  for (std::uint64_t stack : {t.wq, t.wkv, t.wkv, t.wo, t.w_up, t.w_up, t.w_up}) {
    tensors.insert(tensors.end(), static_cast<std::size_t>(layers), stack / layers);
  }
  if (!c.shared_classifier) tensors.push_back(t.classifier);
  return tensors;
}

// Bytes of a checkpoint in `format`: the header, then the tensors as that format
// stores them (version 2: int8 values, then one fp32 scale per group of each tensor).
std::uint64_t expected_bytes(const ModelConfig& c, CheckpointFormat format, int group,
                             const TensorCounts& t, const SizeMath& m, const path& file) {
  switch (format) {
    case CheckpointFormat::kLegacyFp32:
      return m.add(kLegacyHeaderBytes,
                   m.mul(t.fp32_floats(m, /*with_rope_tables=*/true), sizeof(float)));
    case CheckpointFormat::kVersion1Fp32:
      return m.add(kVersionedHeaderBytes,
                   m.mul(t.fp32_floats(m, /*with_rope_tables=*/false), sizeof(float)));
    case CheckpointFormat::kVersion2Int8:
      break;
    case CheckpointFormat::kGguf:
      throw InputError(file, "GGUF files are not sized by their hyperparameters alone");
  }
  if (group <= 0) {
    throw InputError(file, "version 2 group_size = " + std::to_string(group) + " must be positive");
  }
  const auto group_size = static_cast<std::uint64_t>(group);
  std::uint64_t bytes =
      m.add(kVersionedHeaderBytes, m.mul(m.add(m.mul(t.rms_layers, 2), t.rms_final), 4));
  // Sized per kind of tensor, times its count: the header may claim any number of
  // layers, and nothing here may grow with it before the file's size is checked.
  const auto layers = static_cast<std::uint64_t>(c.n_layers);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> kinds = {{t.embedding, 1}};  // size, count
  for (std::uint64_t stack : {t.wq, t.wkv, t.wkv, t.wo, t.w_up, t.w_up, t.w_up}) {
    kinds.emplace_back(stack / layers, layers);
  }
  if (!c.shared_classifier) kinds.emplace_back(t.classifier, 1);
  for (const auto& [n, count] : kinds) {
    if (n % group_size != 0) {
      throw InputError(file, "version 2 group size " + std::to_string(group) +
                                 " does not divide a tensor of " + std::to_string(n) +
                                 " weights (each is a whole number of groups)");
    }
    bytes = m.add(bytes, m.mul(count, m.add(n, m.mul(n / group_size, 4))));
  }
  return bytes;
}

}  // namespace

void validate_config(const ModelConfig& config, const path& file) {
  check_positive(config, file, "", "");
  validate_shape(config, file);
  SizeMath m(file);
  expected_bytes(config, CheckpointFormat::kLegacyFp32, 0, count_tensors(config, m), m, file);
}

std::uint64_t checkpoint_bytes(const ModelConfig& config, CheckpointFormat format, int group_size,
                               const path& file) {
  SizeMath m(file);
  return expected_bytes(config, format, group_size, count_tensors(config, m), m, file);
}

std::string to_string(CheckpointFormat format) {
  switch (format) {
    case CheckpointFormat::kLegacyFp32:
      return "llama2.c legacy fp32";
    case CheckpointFormat::kVersion1Fp32:
      return "llama2.c version 1 fp32";
    case CheckpointFormat::kVersion2Int8:
      return "llama2.c version 2 int8 (Q8_0)";
    case CheckpointFormat::kGguf:
      return "GGUF";
  }
  return "unknown";
}

Checkpoint::Checkpoint(std::filesystem::path file, detail::CheckpointParts parts)
    : path_(std::move(file)),
      format_(parts.format),
      config_(parts.config),
      storage_(std::move(parts.storage)),
      mapping_(std::move(parts.mapping)),
      weights_(std::move(parts.weights)),
      tokenizer_(std::move(parts.tokenizer)),
      tokenizer_problem_(std::move(parts.tokenizer_problem)) {}

namespace {

using detail::CheckpointParts;

// A llama2.c file's hyperparameters (and version 2's group size), checked against
// the file's size.
struct Llama2cHeader {
  ModelConfig config;
  std::int32_t group = 0;
  TensorCounts counts{};
};

Llama2cHeader read_llama2c_header(const MappedFile& file, CheckpointFormat format) {
  const path& name = file.path();
  const bool legacy = format == CheckpointFormat::kLegacyFp32;
  Llama2cHeader h;
  h.config = read_dimensions(file.data() + (legacy ? 0 : 8), name, legacy);
  if (!legacy) h.config.shared_classifier = file.data()[kSharedFlagOffset] != 0;
  if (format == CheckpointFormat::kVersion2Int8) h.group = read_i32(file.data() + kGroupSizeOffset);
  validate_shape(h.config, name);
  SizeMath m(name);
  h.counts = count_tensors(h.config, m);
  require_size(expected_bytes(h.config, format, h.group, h.counts, m, name), file.size(), h.config,
               name,
               legacy                                      ? "llama2.c legacy"
               : format == CheckpointFormat::kVersion1Fp32 ? "llama2.c version 1"
                                                           : "llama2.c version 2");
  return h;
}

CheckpointParts load_legacy(const std::shared_ptr<const MappedFile>& file) {
  const auto [c, group, t] = read_llama2c_header(*file, CheckpointFormat::kLegacyFp32);
  auto weights = make_views(c, legacy_layout(floats_at(*file, kLegacyHeaderBytes), t));
  return {CheckpointFormat::kLegacyFp32, c, file, file, std::move(weights), nullptr, {}};
}

CheckpointParts load_version1(const std::shared_ptr<const MappedFile>& file) {
  const auto [c, group, t] = read_llama2c_header(*file, CheckpointFormat::kVersion1Fp32);
  auto weights = make_views(c, version1_layout(floats_at(*file, kVersionedHeaderBytes), t));
  return {CheckpointFormat::kVersion1Fp32, c, file, file, std::move(weights), nullptr, {}};
}

// Version 2 stores norms in fp32 and every matrix as int8 values followed by one fp32
// scale per group. The reference is fp32, so weights are dequantized (q * scale,
// exactly as runq.c dequantizes) into a buffer laid out like a version 1 file.
CheckpointParts load_version2(const std::shared_ptr<const MappedFile>& file) {
  const auto [c, group, t] = read_llama2c_header(*file, CheckpointFormat::kVersion2Int8);
  const std::vector<std::uint64_t> tensors = quantized_tensors(c, t);
  SizeMath m(file->path());

  auto buffer = std::make_shared<std::vector<float>>(
      static_cast<std::size_t>(t.fp32_floats(m, /*with_rope_tables=*/false)));
  const std::uint8_t* in = file->data() + kVersionedHeaderBytes;
  float* out = buffer->data();
  const std::size_t norm_bytes = static_cast<std::size_t>(2 * t.rms_layers + t.rms_final) * 4;
  std::memcpy(out, in, norm_bytes);
  in += norm_bytes;
  out += norm_bytes / 4;
  const auto group_size = static_cast<std::size_t>(group);
  for (std::uint64_t count : tensors) {
    const auto n = static_cast<std::size_t>(count);
    const auto* q = reinterpret_cast<const std::int8_t*>(in);
    const std::uint8_t* scales = in + n;
    for (std::size_t g = 0; g < n / group_size; ++g) {
      float scale;
      std::memcpy(&scale, scales + g * sizeof(float), sizeof scale);
      for (std::size_t i = g * group_size; i < (g + 1) * group_size; ++i) {
        out[i] = static_cast<float>(q[i]) * scale;
      }
    }
    in += n + (n / group_size) * sizeof(float);
    out += n;
  }
  auto weights = make_views(c, version1_layout(buffer->data(), t));
  return {CheckpointFormat::kVersion2Int8,
          c,
          std::move(buffer),
          nullptr,
          std::move(weights),
          nullptr,
          {}};
}

bool has_gguf_extension(const path& file) {
  std::string extension = file.extension().string();
  for (char& ch : extension) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return extension == ".gguf";
}

// The format of a model file, from its first bytes (GGUF also by its name, so that a
// damaged GGUF is reported as one).
CheckpointFormat detect_format(const MappedFile& file) {
  const path& name = file.path();
  if (GgufFile::has_magic(file) || has_gguf_extension(name)) return CheckpointFormat::kGguf;
  if (file.size() == 0) throw InputError(name, "empty file, expected a llama2.c checkpoint");
  if (file.size() < kLegacyHeaderBytes) {
    throw InputError(name, "file is " + std::to_string(file.size()) +
                               " bytes, too short for a llama2.c checkpoint header");
  }
  std::uint32_t magic;
  std::memcpy(&magic, file.data(), sizeof magic);
  if (magic != kVersionedMagic) return CheckpointFormat::kLegacyFp32;
  if (file.size() < kVersionedHeaderBytes) {
    throw InputError(name, "file has the \"ak42\" magic but is shorter than its " +
                               std::to_string(kVersionedHeaderBytes) + "-byte header");
  }
  const std::int32_t version = read_i32(file.data() + 4);
  if (version == 1) return CheckpointFormat::kVersion1Fp32;
  if (version == 2) return CheckpointFormat::kVersion2Int8;
  throw InputError(name, "llama2.c checkpoint version " + std::to_string(version) +
                             " is not supported (supported: legacy, 1, 2)");
}

}  // namespace

Checkpoint Checkpoint::load(const std::filesystem::path& file_path) {
  auto file = std::make_shared<const MappedFile>(file_path);
  switch (detect_format(*file)) {
    case CheckpointFormat::kLegacyFp32:
      return Checkpoint(file_path, load_legacy(file));
    case CheckpointFormat::kVersion1Fp32:
      return Checkpoint(file_path, load_version1(file));
    case CheckpointFormat::kVersion2Int8:
      return Checkpoint(file_path, load_version2(file));
    case CheckpointFormat::kGguf:
      break;
  }
  return Checkpoint(file_path, detail::load_gguf(file));
}

CheckpointFormat detect_checkpoint_format(const MappedFile& file) { return detect_format(file); }

CheckpointHeader read_checkpoint_header(const std::shared_ptr<const MappedFile>& file) {
  const CheckpointFormat format = detect_format(*file);
  if (format == CheckpointFormat::kGguf)
    return {format, read_gguf_config(GgufFile::parse(file)), 0};
  const Llama2cHeader header = read_llama2c_header(*file, format);
  return {format, header.config, header.group};
}

CheckpointHeader read_checkpoint_header(const std::filesystem::path& file_path) {
  return read_checkpoint_header(std::make_shared<const MappedFile>(file_path));
}

void Checkpoint::release_resident_weights() const {
  if (mapping_) mapping_->release_resident_pages();
}

std::shared_ptr<const Tokenizer> Checkpoint::embedded_tokenizer() const {
  if (!tokenizer_problem_.empty()) throw InputError(path_, tokenizer_problem_);
  return tokenizer_;
}

int Checkpoint::bos_id() const { return tokenizer_ ? tokenizer_->bos_id() : Tokenizer::kBos; }

}  // namespace tessera::models
