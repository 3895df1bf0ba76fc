#include "tessera/models/synthetic_model.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string_view>

#include "tessera/models/error.hpp"

namespace tessera::models {
namespace {

using std::filesystem::path;

constexpr std::uint32_t kVersionedMagic = 0x616b3432;  // "ak42"
constexpr long kVersionedHeaderBytes = 256;
constexpr std::size_t kChunk = std::size_t{1} << 20;  // values generated at a time

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct Range {
  float lo, hi;
};

// Variance 1/fan_in (uniform on +-sqrt(3/fan_in)); see the header for the choices.
Range tensor_range(const ModelConfig& c, SyntheticTensor t) {
  auto symmetric = [](double variance) {
    const auto half = static_cast<float>(std::sqrt(3.0 * variance));
    return Range{-half, half};
  };
  switch (t) {
    case SyntheticTensor::kEmbedding:
    case SyntheticTensor::kClassifier:
      return symmetric(3.0 / c.dim);
    case SyntheticTensor::kRmsAtt:
    case SyntheticTensor::kRmsFfn:
    case SyntheticTensor::kRmsFinal:
      return {0.5f, 1.5f};
    case SyntheticTensor::kW2:
      return symmetric(1.0 / c.hidden_dim);
    default:
      return symmetric(1.0 / c.dim);
  }
}

class FileWriter {
 public:
  FileWriter(const path& file, std::uint64_t total,
             const std::function<void(std::uint64_t, std::uint64_t)>& progress)
      : file_(file), out_(std::fopen(file.c_str(), "wb")), total_(total), progress_(progress) {
    if (!out_) throw InputError(file, std::string("cannot write: ") + std::strerror(errno));
  }
  ~FileWriter() {
    if (out_) std::fclose(out_);
  }
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  void bytes(const void* data, std::size_t size) {
    if (std::fwrite(data, 1, size, out_) != size) {
      throw InputError(file_, std::string("write failed: ") + std::strerror(errno));
    }
    written_ += size;
    if (progress_) progress_(written_, total_);
  }
  template <typename T>
  void put(T value) {
    bytes(&value, sizeof value);
  }
  void zeros(std::uint64_t count) {
    const std::vector<char> chunk(static_cast<std::size_t>(std::min<std::uint64_t>(count, kChunk)),
                                  0);
    for (std::uint64_t done = 0; done < count; done += chunk.size()) {
      bytes(chunk.data(),
            static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), count - done)));
    }
  }
  void pad_to(std::uint64_t offset) { zeros(offset - written_); }
  void close() {
    const int failed = std::fclose(out_);
    out_ = nullptr;
    if (failed != 0) throw InputError(file_, std::string("write failed: ") + std::strerror(errno));
  }
  // After a failure: the partial file is closed and, if it is a regular file (not a
  // device or a pipe the user named), removed.
  void discard() {
    if (out_) std::fclose(out_);
    out_ = nullptr;
    std::error_code ignored;
    if (std::filesystem::is_regular_file(file_, ignored)) std::filesystem::remove(file_, ignored);
  }

 private:
  path file_;
  std::FILE* out_;
  std::uint64_t written_ = 0, total_;
  const std::function<void(std::uint64_t, std::uint64_t)>& progress_;
};

struct Generator {
  const ModelConfig& config;
  std::uint64_t seed;

  void fp32(FileWriter& out, SyntheticTensor t, std::uint64_t first, std::uint64_t count) const {
    std::vector<float> chunk(std::min<std::uint64_t>(count, kChunk));
    for (std::uint64_t done = 0; done < count; done += chunk.size()) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), count - done));
      synthetic_values(config, seed, t, first + done, n, chunk.data());
      out.bytes(chunk.data(), n * sizeof(float));
    }
  }
  void fp32(FileWriter& out, SyntheticTensor t) const {
    fp32(out, t, 0, synthetic_tensor_size(config, t));
  }

  // Q8_0 as llama2.c's export.py: int8 per group with scale max|w| / 127, all the
  // tensor's values, then all its scales.
  void q8(FileWriter& out, SyntheticTensor t, std::uint64_t first, std::uint64_t count,
          std::size_t group) const {
    std::vector<float> scales;
    scales.reserve(static_cast<std::size_t>(count / group));
    const std::size_t groups_per_chunk = std::max<std::size_t>(1, kChunk / group);
    std::vector<float> values(groups_per_chunk * group);
    std::vector<std::int8_t> quantized(values.size());
    for (std::uint64_t done = 0; done < count;) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(values.size(), count - done));
      synthetic_values(config, seed, t, first + done, n, values.data());
      for (std::size_t g = 0; g < n / group; ++g) {
        const float* x = values.data() + g * group;
        float max_abs = 0.0f;
        for (std::size_t i = 0; i < group; ++i) max_abs = std::max(max_abs, std::fabs(x[i]));
        const float scale = max_abs / 127.0f;
        scales.push_back(scale);
        for (std::size_t i = 0; i < group; ++i) {
          quantized[g * group + i] =
              static_cast<std::int8_t>(scale == 0.0f ? 0.0f : std::round(x[i] / scale));
        }
      }
      out.bytes(quantized.data(), n);
      done += n;
    }
    out.bytes(scales.data(), scales.size() * sizeof(float));
  }
};

constexpr SyntheticTensor kLayerMatrices[] = {
    SyntheticTensor::kWq, SyntheticTensor::kWk, SyntheticTensor::kWv, SyntheticTensor::kWo,
    SyntheticTensor::kW1, SyntheticTensor::kW2, SyntheticTensor::kW3};

void put_dimensions(FileWriter& out, const ModelConfig& c, int vocab_field) {
  for (int v : {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, vocab_field, c.seq_len}) {
    out.put(static_cast<std::int32_t>(v));
  }
}

void put_versioned_header(FileWriter& out, const ModelConfig& c, std::int32_t version) {
  out.put(kVersionedMagic);
  out.put(version);
  put_dimensions(out, c, c.vocab_size);
  out.put(static_cast<std::uint8_t>(c.shared_classifier ? 1 : 0));
}

void write_legacy(const Generator& g, FileWriter& out) {
  const ModelConfig& c = g.config;
  put_dimensions(out, c, c.shared_classifier ? c.vocab_size : -c.vocab_size);
  for (SyntheticTensor t :
       {SyntheticTensor::kEmbedding, SyntheticTensor::kRmsAtt, SyntheticTensor::kWq,
        SyntheticTensor::kWk, SyntheticTensor::kWv, SyntheticTensor::kWo, SyntheticTensor::kRmsFfn,
        SyntheticTensor::kW1, SyntheticTensor::kW2, SyntheticTensor::kW3,
        SyntheticTensor::kRmsFinal}) {
    g.fp32(out, t);
  }
  // The RoPE tables run.c skips: seq_len * head_size / 2 floats, twice.
  out.zeros(static_cast<std::uint64_t>(c.seq_len) * static_cast<std::uint64_t>(c.head_size()) / 2 *
            2 * sizeof(float));
  if (!c.shared_classifier) g.fp32(out, SyntheticTensor::kClassifier);
}

void write_version1(const Generator& g, FileWriter& out) {
  put_versioned_header(out, g.config, 1);
  out.pad_to(kVersionedHeaderBytes);
  for (SyntheticTensor t :
       {SyntheticTensor::kRmsAtt, SyntheticTensor::kRmsFfn, SyntheticTensor::kRmsFinal,
        SyntheticTensor::kEmbedding, SyntheticTensor::kWq, SyntheticTensor::kWk,
        SyntheticTensor::kWv, SyntheticTensor::kWo, SyntheticTensor::kW1, SyntheticTensor::kW2,
        SyntheticTensor::kW3}) {
    g.fp32(out, t);
  }
  if (!g.config.shared_classifier) g.fp32(out, SyntheticTensor::kClassifier);
}

void write_version2(const Generator& g, FileWriter& out, int group_size) {
  const ModelConfig& c = g.config;
  put_versioned_header(out, c, 2);
  out.put(static_cast<std::int32_t>(group_size));
  out.pad_to(kVersionedHeaderBytes);
  for (SyntheticTensor t :
       {SyntheticTensor::kRmsAtt, SyntheticTensor::kRmsFfn, SyntheticTensor::kRmsFinal}) {
    g.fp32(out, t);
  }
  const auto group = static_cast<std::size_t>(group_size);
  g.q8(out, SyntheticTensor::kEmbedding, 0, synthetic_tensor_size(c, SyntheticTensor::kEmbedding),
       group);
  const auto layers = static_cast<std::uint64_t>(c.n_layers);
  for (SyntheticTensor t : kLayerMatrices) {
    const std::uint64_t per_layer = synthetic_tensor_size(c, t) / layers;
    for (std::uint64_t l = 0; l < layers; ++l) g.q8(out, t, l * per_layer, per_layer, group);
  }
  if (!c.shared_classifier) {
    g.q8(out, SyntheticTensor::kClassifier, 0,
         synthetic_tensor_size(c, SyntheticTensor::kClassifier), group);
  }
}

// A short English text the synthetic vocabulary's merges are learnt from.
constexpr std::string_view kMergeText =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the "
    "sunshine with her dog, Max. One day, they went to the park and saw a big red ball under "
    "a tree. Lily wanted to play with the ball, but it was stuck. She asked her mom for help. "
    "Her mom smiled and said, \"Let us try together.\" They pulled and pulled, and the ball "
    "came out. Lily was very happy. She threw the ball to Max, and he ran fast to get it. "
    "They played all day until the sun went down. When it was time to go home, Lily said "
    "thank you to her mom. They walked home and had a warm dinner. Then Lily went to bed and "
    "dreamed about the park, the ball and her friend Max. The next morning, the little boy "
    "next door, Tom, came to visit. He had a new toy car that was blue and shiny. Tom and "
    "Lily raced the car on the floor and laughed. They shared their toys and were kind to "
    "each other. The moral of the story is that friends who share have the most fun.";

}  // namespace

std::uint64_t synthetic_tensor_size(const ModelConfig& c, SyntheticTensor t) {
  const auto dim = static_cast<std::uint64_t>(c.dim);
  const auto layers = static_cast<std::uint64_t>(c.n_layers);
  const auto kv = static_cast<std::uint64_t>(c.kv_dim());
  const auto hidden = static_cast<std::uint64_t>(c.hidden_dim);
  const auto vocab = static_cast<std::uint64_t>(c.vocab_size);
  switch (t) {
    case SyntheticTensor::kEmbedding:
      return vocab * dim;
    case SyntheticTensor::kClassifier:
      return c.shared_classifier ? 0 : vocab * dim;
    case SyntheticTensor::kRmsAtt:
    case SyntheticTensor::kRmsFfn:
      return layers * dim;
    case SyntheticTensor::kRmsFinal:
      return dim;
    case SyntheticTensor::kWq:
    case SyntheticTensor::kWo:
      return layers * dim * dim;
    case SyntheticTensor::kWk:
    case SyntheticTensor::kWv:
      return layers * kv * dim;
    case SyntheticTensor::kW1:
    case SyntheticTensor::kW2:
    case SyntheticTensor::kW3:
      return layers * hidden * dim;
  }
  return 0;
}

std::uint64_t parameter_count(const ModelConfig& c) {
  std::uint64_t n = 0;
  for (SyntheticTensor t :
       {SyntheticTensor::kEmbedding, SyntheticTensor::kRmsAtt, SyntheticTensor::kWq,
        SyntheticTensor::kWk, SyntheticTensor::kWv, SyntheticTensor::kWo, SyntheticTensor::kRmsFfn,
        SyntheticTensor::kW1, SyntheticTensor::kW2, SyntheticTensor::kW3,
        SyntheticTensor::kRmsFinal, SyntheticTensor::kClassifier}) {
    n += synthetic_tensor_size(c, t);
  }
  return n;
}

void synthetic_values(const ModelConfig& config, std::uint64_t seed, SyntheticTensor tensor,
                      std::uint64_t first, std::size_t count, float* out) {
  const std::uint64_t key = splitmix64(seed ^ splitmix64(static_cast<std::uint64_t>(tensor) + 1));
  const Range r = tensor_range(config, tensor);
  const float width = r.hi - r.lo;
  for (std::size_t i = 0; i < count; ++i) {
    // The top 24 bits: a float in [0, 1) with every value exact.
    const float u = static_cast<float>(splitmix64(key + first + i) >> 40) * 0x1p-24f;
    out[i] = r.lo + width * u;
  }
}

std::vector<float> synthetic_tensor(const ModelConfig& config, std::uint64_t seed,
                                    SyntheticTensor tensor) {
  std::vector<float> values(static_cast<std::size_t>(synthetic_tensor_size(config, tensor)));
  synthetic_values(config, seed, tensor, 0, values.size(), values.data());
  return values;
}

void validate_synthetic_checkpoint(const ModelConfig& config, const path& file,
                                   const SyntheticCheckpointOptions& options) {
  validate_config(config, file);
  checkpoint_bytes(config, options.format, options.group_size, file);
}

void write_synthetic_checkpoint(const ModelConfig& config, const path& file,
                                const SyntheticCheckpointOptions& options) {
  validate_synthetic_checkpoint(config, file, options);
  FileWriter out(file, checkpoint_bytes(config, options.format, options.group_size, file),
                 options.progress);
  const Generator g{config, options.seed};
  try {
    switch (options.format) {
      case CheckpointFormat::kLegacyFp32:
        write_legacy(g, out);
        break;
      case CheckpointFormat::kVersion1Fp32:
        write_version1(g, out);
        break;
      case CheckpointFormat::kVersion2Int8:
        write_version2(g, out, options.group_size);
        break;
      case CheckpointFormat::kGguf:  // refused by checkpoint_bytes above
        break;
    }
    out.close();
  } catch (...) {
    out.discard();
    throw;
  }
}

void write_tokenizer(const path& file, const std::vector<TokenizerPiece>& pieces) {
  std::int32_t longest = 0;
  for (const auto& p : pieces)
    longest = std::max(longest, static_cast<std::int32_t>(p.piece.size()));
  const std::function<void(std::uint64_t, std::uint64_t)> no_progress;
  FileWriter out(file, 0, no_progress);
  out.put(longest);
  for (const auto& p : pieces) {
    out.put(p.score);
    out.put(static_cast<std::int32_t>(p.piece.size()));
    out.bytes(p.piece.data(), p.piece.size());
  }
  out.close();
}

std::vector<TokenizerPiece> synthetic_vocabulary(int vocab_size) {
  if (vocab_size < kSmallestSyntheticVocabulary) {
    throw std::invalid_argument(
        "a synthetic vocabulary needs at least " + std::to_string(kSmallestSyntheticVocabulary) +
        " pieces (3 special and 256 byte pieces), not " + std::to_string(vocab_size));
  }
  const auto size = static_cast<std::size_t>(vocab_size);
  std::vector<TokenizerPiece> pieces = {{"<unk>", 0.0f}, {"\n<s>\n", 0.0f}, {"\n</s>\n", 0.0f}};
  for (int b = 0; b < 256; ++b) {
    std::array<char, 8> name{};
    std::snprintf(name.data(), name.size(), "<0x%02X>", b);
    pieces.push_back({name.data(), 0.0f});
  }
  std::set<std::string> known;
  auto add = [&](const std::string& piece, float score) {
    if (pieces.size() < size && known.insert(piece).second) pieces.push_back({piece, score});
  };
  // Words with their leading space, as SentencePiece sees them; one symbol per byte
  // (the text is ASCII).
  std::vector<std::vector<std::string>> words;
  std::size_t start = 0;
  while (start < kMergeText.size()) {
    const std::size_t end = std::min(kMergeText.find(' ', start), kMergeText.size());
    std::vector<std::string> word{" "};
    for (char ch : kMergeText.substr(start, end - start)) word.emplace_back(1, ch);
    words.push_back(std::move(word));
    start = end + 1;
  }
  std::set<std::string> characters;
  for (const auto& word : words) characters.insert(word.begin(), word.end());
  for (const auto& ch : characters) add(ch, -1e4f);
  // Byte-pair merges, most frequent pair first (ties: the smaller pair), scored by
  // rank so the encoder applies them in the order they were learnt.
  for (int rank = 0; pieces.size() < size; ++rank) {
    std::map<std::pair<std::string, std::string>, int> counts;
    for (const auto& word : words) {
      for (std::size_t i = 0; i + 1 < word.size(); ++i) ++counts[{word[i], word[i + 1]}];
    }
    if (counts.empty()) break;
    const auto best =
        std::max_element(counts.begin(), counts.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    const auto [left, right] = best->first;
    add(left + right, -static_cast<float>(rank));
    for (auto& word : words) {
      std::vector<std::string> merged;
      for (std::size_t i = 0; i < word.size(); ++i) {
        if (i + 1 < word.size() && word[i] == left && word[i + 1] == right) {
          merged.push_back(left + right);
          ++i;
        } else {
          merged.push_back(word[i]);
        }
      }
      word = std::move(merged);
    }
  }
  for (int filler = 0; pieces.size() < size; ++filler) {
    add("<piece " + std::to_string(filler) + ">", -1e6f);
  }
  return pieces;
}

}  // namespace tessera::models
