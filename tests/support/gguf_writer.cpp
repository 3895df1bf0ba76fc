#include "support/gguf_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace tessera::testing {
namespace {

constexpr std::uint32_t kTypeInt32 = 5, kTypeUint32 = 4, kTypeFloat32 = 6, kTypeString = 8,
                        kTypeArray = 9;

template <typename T>
void put(std::vector<char>& out, T value) {
  const std::size_t at = out.size();
  out.resize(at + sizeof value);
  std::memcpy(out.data() + at, &value, sizeof value);
}

void put_string(std::vector<char>& out, const std::string& text) {
  put<std::uint64_t>(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
}

std::vector<char> key_and_type(const std::string& key, std::uint32_t type) {
  std::vector<char> entry;
  put_string(entry, key);
  put(entry, type);
  return entry;
}

std::uint64_t align(std::uint64_t offset, std::uint64_t alignment) {
  return (offset + alignment - 1) / alignment * alignment;
}

}  // namespace

void GgufWriter::add_uint32(const std::string& key, std::uint32_t value) {
  auto entry = key_and_type(key, kTypeUint32);
  put(entry, value);
  metadata_.emplace_back(key, entry);
}

void GgufWriter::add_int32(const std::string& key, std::int32_t value) {
  auto entry = key_and_type(key, kTypeInt32);
  put(entry, value);
  metadata_.emplace_back(key, entry);
}

void GgufWriter::add_float32(const std::string& key, float value) {
  auto entry = key_and_type(key, kTypeFloat32);
  put(entry, value);
  metadata_.emplace_back(key, entry);
}

void GgufWriter::add_string(const std::string& key, const std::string& value) {
  auto entry = key_and_type(key, kTypeString);
  put_string(entry, value);
  metadata_.emplace_back(key, entry);
}

void GgufWriter::add_strings(const std::string& key, const std::vector<std::string>& values) {
  auto entry = key_and_type(key, kTypeArray);
  put(entry, kTypeString);
  put<std::uint64_t>(entry, values.size());
  for (const auto& value : values) put_string(entry, value);
  metadata_.emplace_back(key, entry);
}

void GgufWriter::add_floats(const std::string& key, const std::vector<float>& values) {
  auto entry = key_and_type(key, kTypeArray);
  put(entry, kTypeFloat32);
  put<std::uint64_t>(entry, values.size());
  for (float value : values) put(entry, value);
  metadata_.emplace_back(key, entry);
}

void GgufWriter::add_int32s(const std::string& key, const std::vector<std::int32_t>& values) {
  auto entry = key_and_type(key, kTypeArray);
  put(entry, kTypeInt32);
  put<std::uint64_t>(entry, values.size());
  for (std::int32_t value : values) put(entry, value);
  metadata_.emplace_back(key, entry);
}

void GgufWriter::set_alignment(std::uint32_t alignment) {
  add_uint32("general.alignment", alignment);
  alignment_ = alignment;
}

void GgufWriter::add_raw(const std::string& key, std::uint32_t type,
                         const std::vector<char>& value) {
  auto entry = key_and_type(key, type);
  entry.insert(entry.end(), value.begin(), value.end());
  metadata_.emplace_back(key, entry);
}

void GgufWriter::add_tensor(const std::string& name, const std::vector<std::uint64_t>& shape,
                            std::uint32_t type, const std::vector<char>& data) {
  tensors_.push_back({name, shape, type, data, 0, false});
}

GgufWriter::Tensor& GgufWriter::tensor(const std::string& name) {
  return tensors_.at(tensor_index(name));
}

std::size_t GgufWriter::tensor_index(const std::string& name) const {
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    if (tensors_[i].name == name) return i;
  }
  throw std::out_of_range("no tensor " + name);
}

void GgufWriter::remove_tensor(const std::string& name) {
  tensors_.erase(tensors_.begin() + static_cast<std::ptrdiff_t>(tensor_index(name)));
}

void GgufWriter::remove_metadata(const std::string& key) {
  const auto before = metadata_.size();
  metadata_.erase(std::remove_if(metadata_.begin(), metadata_.end(),
                                 [&](const auto& entry) { return entry.first == key; }),
                  metadata_.end());
  if (metadata_.size() == before) throw std::out_of_range("no metadata " + key);
}

void GgufWriter::set_tensor_offset(std::size_t index, std::uint64_t offset) {
  tensors_.at(index).offset = offset;
  tensors_.at(index).fixed_offset = true;
}

std::vector<char> GgufWriter::bytes() const { return serialize(nullptr); }

std::vector<std::size_t> GgufWriter::field_boundaries() const {
  std::vector<std::size_t> boundaries;
  serialize(&boundaries);
  return boundaries;
}

std::vector<char> GgufWriter::serialize(std::vector<std::size_t>* boundaries) const {
  std::vector<char> out;
  const auto mark = [&] {
    if (boundaries) boundaries->push_back(out.size());
  };
  for (const char c : {'G', 'G', 'U', 'F'}) out.push_back(c);
  mark();
  put(out, version_);
  mark();
  put<std::uint64_t>(out, tensors_.size());
  mark();
  put<std::uint64_t>(out, metadata_.size());
  mark();
  for (const auto& [key, entry] : metadata_) {
    const std::size_t key_end = 8 + key.size();
    out.insert(out.end(), entry.begin(), entry.begin() + 8);
    mark();
    out.insert(out.end(), entry.begin() + 8, entry.begin() + static_cast<std::ptrdiff_t>(key_end));
    mark();
    out.insert(out.end(), entry.begin() + static_cast<std::ptrdiff_t>(key_end),
               entry.begin() + static_cast<std::ptrdiff_t>(key_end) + 4);
    mark();
    out.insert(out.end(), entry.begin() + static_cast<std::ptrdiff_t>(key_end) + 4, entry.end());
    mark();
  }
  std::vector<std::uint64_t> offsets;
  std::uint64_t next = 0;
  for (const Tensor& t : tensors_) {
    offsets.push_back(t.fixed_offset ? t.offset : next);
    if (!t.fixed_offset) next = align(next + t.data.size(), alignment_);
  }
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    const Tensor& t = tensors_[i];
    put_string(out, t.name);
    mark();
    put<std::uint32_t>(out, static_cast<std::uint32_t>(t.shape.size()));
    mark();
    for (std::uint64_t d : t.shape) put(out, d);
    mark();
    put(out, t.type);
    mark();
    put(out, offsets[i]);
    mark();
  }
  const std::size_t data_start = static_cast<std::size_t>(align(out.size(), alignment_));
  out.resize(data_start, '\0');
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    if (tensors_[i].fixed_offset) continue;  // its bytes are wherever the offset says
    const std::size_t at = data_start + static_cast<std::size_t>(offsets[i]);
    if (out.size() < at + tensors_[i].data.size()) out.resize(at + tensors_[i].data.size(), '\0');
    std::copy(tensors_[i].data.begin(), tensors_[i].data.end(),
              out.begin() + static_cast<std::ptrdiff_t>(at));
    if (boundaries) boundaries->push_back(at + tensors_[i].data.size());
  }
  return out;
}

std::uint16_t float_to_half(float value) {
  const auto half = static_cast<_Float16>(value);  // the compiler's IEEE conversion
  std::uint16_t bits;
  std::memcpy(&bits, &half, sizeof bits);
  return bits;
}

std::vector<char> encode_f32(const std::vector<float>& values) {
  std::vector<char> out;
  for (float v : values) put(out, v);
  return out;
}

std::vector<char> encode_f16(const std::vector<float>& values) {
  std::vector<char> out;
  for (float v : values) put(out, float_to_half(v));
  return out;
}

std::vector<char> encode_bf16(const std::vector<float>& values) {
  std::vector<char> out;
  for (float v : values) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    put(out, static_cast<std::uint16_t>(bits >> 16));
  }
  return out;
}

std::vector<char> encode_q8_0(const std::vector<float>& values) {
  std::vector<char> out;
  for (std::size_t b = 0; b < values.size(); b += 32) {
    float amax = 0.0f;
    for (std::size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(values[b + j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put(out, float_to_half(d));
    for (std::size_t j = 0; j < 32; ++j) {
      put(out, static_cast<std::int8_t>(std::lround(values[b + j] * id)));
    }
  }
  return out;
}

std::vector<char> encode_q4_0(const std::vector<float>& values) {
  std::vector<char> out;
  for (std::size_t b = 0; b < values.size(); b += 32) {
    float amax = 0.0f, max = 0.0f;
    for (std::size_t j = 0; j < 32; ++j) {
      if (std::fabs(values[b + j]) > amax) {
        amax = std::fabs(values[b + j]);
        max = values[b + j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put(out, float_to_half(d));
    for (std::size_t j = 0; j < 16; ++j) {
      const auto low =
          std::min(15, static_cast<int>(static_cast<std::int8_t>(values[b + j] * id + 8.5f)));
      const auto high =
          std::min(15, static_cast<int>(static_cast<std::int8_t>(values[b + 16 + j] * id + 8.5f)));
      put(out, static_cast<std::uint8_t>(low | (high << 4)));
    }
  }
  return out;
}

std::vector<std::string> llama_gguf_pieces(int vocab_size) {
  std::vector<std::string> pieces = {"<unk>", "<s>", "</s>", " "};
  for (int i = 4; i < vocab_size; ++i) {
    const int k = i - 30;
    if (k < 0) {
      pieces.emplace_back(1, static_cast<char>('a' + i - 4));
    } else {
      const std::string pair = {static_cast<char>('a' + k / 2 % 26),
                                static_cast<char>('a' + k / 52 % 26)};
      pieces.push_back(k % 2 ? pair : " " + pair);
    }
  }
  return pieces;
}

GgufWriter llama_gguf(const SyntheticModel& m, std::uint32_t type) {
  const models::ModelConfig& c = m.config;
  GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_string("general.name", "synthetic");
  w.add_uint32("llama.context_length", static_cast<std::uint32_t>(c.seq_len));
  w.add_uint32("llama.embedding_length", static_cast<std::uint32_t>(c.dim));
  w.add_uint32("llama.feed_forward_length", static_cast<std::uint32_t>(c.hidden_dim));
  w.add_uint32("llama.block_count", static_cast<std::uint32_t>(c.n_layers));
  w.add_uint32("llama.attention.head_count", static_cast<std::uint32_t>(c.n_heads));
  w.add_uint32("llama.attention.head_count_kv", static_cast<std::uint32_t>(c.n_kv_heads));
  w.add_uint32("llama.rope.dimension_count", static_cast<std::uint32_t>(c.head_size()));
  w.add_float32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.add_string("tokenizer.ggml.model", "llama");
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<std::int32_t> kinds;
  for (const std::string& piece : llama_gguf_pieces(c.vocab_size)) {
    std::string marked;
    for (char ch : piece) marked += ch == ' ' ? std::string("\xE2\x96\x81") : std::string(1, ch);
    tokens.push_back(marked);
    scores.push_back(-static_cast<float>(tokens.size()));
    kinds.push_back(tokens.size() == 1 ? 2 : tokens.size() <= 3 ? 3 : 1);
  }
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_floats("tokenizer.ggml.scores", scores);
  w.add_int32s("tokenizer.ggml.token_type", kinds);
  w.add_uint32("tokenizer.ggml.bos_token_id", 1);
  w.add_uint32("tokenizer.ggml.eos_token_id", 2);

  const auto encode = [type](const std::vector<float>& values) {
    switch (type) {
      case 1:
        return encode_f16(values);
      case 30:
        return encode_bf16(values);
      case 8:
        return encode_q8_0(values);
      case 2:
        return encode_q4_0(values);
      default:
        return encode_f32(values);
    }
  };
  const auto slice = [](const std::vector<float>& stack, int layer, std::size_t size) {
    const auto begin =
        stack.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(layer) * size);
    return std::vector<float>(begin, begin + static_cast<std::ptrdiff_t>(size));
  };
  const auto dim = static_cast<std::uint64_t>(c.dim), kv = static_cast<std::uint64_t>(c.kv_dim()),
             hidden = static_cast<std::uint64_t>(c.hidden_dim),
             vocab = static_cast<std::uint64_t>(c.vocab_size);
  w.add_tensor("token_embd.weight", {dim, vocab}, type, encode(m.embedding));
  w.add_tensor("output_norm.weight", {dim}, 0, encode_f32(m.rms_final));
  if (!c.shared_classifier) w.add_tensor("output.weight", {dim, vocab}, type, encode(m.classifier));
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    w.add_tensor(b + "attn_norm.weight", {dim}, 0, encode_f32(slice(m.rms_att, l, dim)));
    w.add_tensor(b + "attn_q.weight", {dim, dim}, type, encode(slice(m.wq, l, dim * dim)));
    w.add_tensor(b + "attn_k.weight", {dim, kv}, type, encode(slice(m.wk, l, dim * kv)));
    w.add_tensor(b + "attn_v.weight", {dim, kv}, type, encode(slice(m.wv, l, dim * kv)));
    w.add_tensor(b + "attn_output.weight", {dim, dim}, type, encode(slice(m.wo, l, dim * dim)));
    w.add_tensor(b + "ffn_norm.weight", {dim}, 0, encode_f32(slice(m.rms_ffn, l, dim)));
    w.add_tensor(b + "ffn_gate.weight", {dim, hidden}, type, encode(slice(m.w1, l, dim * hidden)));
    w.add_tensor(b + "ffn_down.weight", {hidden, dim}, type, encode(slice(m.w2, l, dim * hidden)));
    w.add_tensor(b + "ffn_up.weight", {dim, hidden}, type, encode(slice(m.w3, l, dim * hidden)));
  }
  return w;
}

}  // namespace tessera::testing
