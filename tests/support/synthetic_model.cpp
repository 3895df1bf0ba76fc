#include "support/synthetic_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>

namespace tessera::testing {
namespace {

std::vector<float> random_tensor(std::size_t count, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> t(count);
  for (float& v : t) v = dist(rng);
  return t;
}

class Writer {
 public:
  explicit Writer(const std::filesystem::path& path) : out_(path, std::ios::binary) {
    if (!out_) throw std::runtime_error("cannot write " + path.string());
  }
  template <typename T>
  void put(const T& value) {
    out_.write(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void put(const std::vector<float>& values) {
    out_.write(reinterpret_cast<const char*>(values.data()),
               static_cast<std::streamsize>(values.size() * sizeof(float)));
  }
  void pad_to(std::streamoff offset) {
    while (out_.tellp() < offset) out_.put('\0');
  }

 private:
  std::ofstream out_;
};

void put_dimensions(Writer& w, const models::ModelConfig& c, int vocab_field) {
  for (int v : {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, vocab_field, c.seq_len}) {
    w.put(static_cast<std::int32_t>(v));
  }
}

void put_versioned_header(Writer& w, const models::ModelConfig& c, std::int32_t version) {
  w.put(std::uint32_t{0x616b3432});
  w.put(version);
  put_dimensions(w, c, c.vocab_size);
  w.put(static_cast<std::uint8_t>(c.shared_classifier ? 1 : 0));
}

// One tensor of a version 2 file: all int8 values, then all group scales.
void put_quantized(Writer& w, const std::vector<float>& values, std::size_t begin,
                   std::size_t count, std::size_t group) {
  std::vector<std::int8_t> q(count);
  std::vector<float> scales(count / group);
  for (std::size_t g = 0; g < count / group; ++g) {
    float max_abs = 0.0f;
    for (std::size_t i = 0; i < group; ++i) {
      max_abs = std::max(max_abs, std::fabs(values[begin + g * group + i]));
    }
    const float scale = max_abs / 127.0f;
    scales[g] = scale;
    for (std::size_t i = 0; i < group; ++i) {
      const float x = values[begin + g * group + i];
      q[g * group + i] = static_cast<std::int8_t>(scale == 0.0f ? 0.0f : std::round(x / scale));
    }
  }
  for (std::int8_t v : q) w.put(v);
  w.put(scales);
}

}  // namespace

models::ModelConfig model_config(int dim, int hidden_dim, int n_layers, int n_heads, int n_kv_heads,
                                 int vocab_size, int seq_len, bool shared_classifier) {
  models::ModelConfig c;
  c.dim = dim;
  c.hidden_dim = hidden_dim;
  c.n_layers = n_layers;
  c.n_heads = n_heads;
  c.n_kv_heads = n_kv_heads;
  c.vocab_size = vocab_size;
  c.seq_len = seq_len;
  c.shared_classifier = shared_classifier;
  return c;
}

SyntheticModel make_synthetic_model(const models::ModelConfig& c, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const auto dim = static_cast<std::size_t>(c.dim);
  const auto layers = static_cast<std::size_t>(c.n_layers);
  const auto kv = static_cast<std::size_t>(c.kv_dim());
  const auto hidden = static_cast<std::size_t>(c.hidden_dim);
  const auto vocab = static_cast<std::size_t>(c.vocab_size);
  const float w_range = 1.0f / std::sqrt(static_cast<float>(c.dim));
  SyntheticModel m;
  m.config = c;
  m.embedding = random_tensor(vocab * dim, rng, -1.0f, 1.0f);
  m.rms_att = random_tensor(layers * dim, rng, 0.5f, 1.5f);
  m.wq = random_tensor(layers * dim * dim, rng, -w_range, w_range);
  m.wk = random_tensor(layers * kv * dim, rng, -w_range, w_range);
  m.wv = random_tensor(layers * kv * dim, rng, -w_range, w_range);
  m.wo = random_tensor(layers * dim * dim, rng, -w_range, w_range);
  m.rms_ffn = random_tensor(layers * dim, rng, 0.5f, 1.5f);
  m.w1 = random_tensor(layers * hidden * dim, rng, -w_range, w_range);
  m.w2 = random_tensor(layers * dim * hidden, rng, -w_range, w_range);
  m.w3 = random_tensor(layers * hidden * dim, rng, -w_range, w_range);
  m.rms_final = random_tensor(dim, rng, 0.5f, 1.5f);
  if (!c.shared_classifier) m.classifier = random_tensor(vocab * dim, rng, -1.0f, 1.0f);
  return m;
}

void write_legacy(const SyntheticModel& m, const std::filesystem::path& path) {
  const models::ModelConfig& c = m.config;
  Writer w(path);
  put_dimensions(w, c, c.shared_classifier ? c.vocab_size : -c.vocab_size);
  for (const auto* t : {&m.embedding, &m.rms_att, &m.wq, &m.wk, &m.wv, &m.wo, &m.rms_ffn, &m.w1,
                        &m.w2, &m.w3, &m.rms_final}) {
    w.put(*t);
  }
  // The unused RoPE tables run.c skips: seq_len * head_size / 2 floats, twice.
  const auto rope =
      static_cast<std::size_t>(c.seq_len) * static_cast<std::size_t>(c.head_size()) / 2;
  w.put(std::vector<float>(2 * rope, 0.0f));
  if (!c.shared_classifier) w.put(m.classifier);
}

void write_version1(const SyntheticModel& m, const std::filesystem::path& path) {
  Writer w(path);
  put_versioned_header(w, m.config, 1);
  w.pad_to(256);
  for (const auto* t : {&m.rms_att, &m.rms_ffn, &m.rms_final, &m.embedding, &m.wq, &m.wk, &m.wv,
                        &m.wo, &m.w1, &m.w2, &m.w3}) {
    w.put(*t);
  }
  if (!m.config.shared_classifier) w.put(m.classifier);
}

void write_version2(const SyntheticModel& m, const std::filesystem::path& path, int group_size) {
  const models::ModelConfig& c = m.config;
  Writer w(path);
  put_versioned_header(w, c, 2);
  w.put(static_cast<std::int32_t>(group_size));
  w.pad_to(256);
  w.put(m.rms_att);
  w.put(m.rms_ffn);
  w.put(m.rms_final);
  const auto group = static_cast<std::size_t>(group_size);
  put_quantized(w, m.embedding, 0, m.embedding.size(), group);
  const auto layers = static_cast<std::size_t>(c.n_layers);
  for (const auto* stack : {&m.wq, &m.wk, &m.wv, &m.wo, &m.w1, &m.w2, &m.w3}) {
    const std::size_t per_layer = stack->size() / layers;
    for (std::size_t l = 0; l < layers; ++l)
      put_quantized(w, *stack, l * per_layer, per_layer, group);
  }
  if (!c.shared_classifier) put_quantized(w, m.classifier, 0, m.classifier.size(), group);
}

std::vector<char> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::filesystem::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write_i32(std::vector<char>& bytes, std::size_t offset, std::int32_t value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

void write_tokenizer(const std::filesystem::path& path,
                     const std::vector<TokenizerEntry>& entries) {
  Writer w(path);
  std::int32_t longest = 0;
  for (const auto& e : entries)
    longest = std::max(longest, static_cast<std::int32_t>(e.piece.size()));
  w.put(longest);
  for (const auto& e : entries) {
    w.put(e.score);
    w.put(static_cast<std::int32_t>(e.piece.size()));
    for (char ch : e.piece) w.put(ch);
  }
}

}  // namespace tessera::testing
