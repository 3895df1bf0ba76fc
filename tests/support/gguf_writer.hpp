#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/synthetic_model.hpp"
#include "tessera/models/gguf.hpp"

namespace tessera::testing {

// Writes GGUF files byte by byte from the specification (ggml's docs/gguf.md), not
// through tessera's reader, so that tests can build valid files of every tensor type
// and break them at any field.
class GgufWriter {
 public:
  explicit GgufWriter(std::uint32_t version = 3) : version_(version) {}

  void add_uint32(const std::string& key, std::uint32_t value);
  void add_int32(const std::string& key, std::int32_t value);
  void add_float32(const std::string& key, float value);
  void add_string(const std::string& key, const std::string& value);
  void add_strings(const std::string& key, const std::vector<std::string>& values);
  void add_floats(const std::string& key, const std::vector<float>& values);
  void add_int32s(const std::string& key, const std::vector<std::int32_t>& values);
  // general.alignment (uint32) and the alignment the tensor data then uses.
  void set_alignment(std::uint32_t alignment);
  // A key with a value already encoded (type tag included), for odd cases.
  void add_raw(const std::string& key, std::uint32_t type, const std::vector<char>& value);

  // `data` is the tensor's encoded bytes; offsets are assigned in order, aligned.
  void add_tensor(const std::string& name, const std::vector<std::uint64_t>& shape,
                  std::uint32_t type, const std::vector<char>& data);
  // Gives tensor `index` this data offset (its bytes are not written) instead of
  // placing it after the one before.
  void set_tensor_offset(std::size_t index, std::uint64_t offset);

  struct Tensor {
    std::string name;
    std::vector<std::uint64_t> shape;
    std::uint32_t type;
    std::vector<char> data;
    std::uint64_t offset = 0;
    bool fixed_offset = false;
  };
  Tensor& tensor(const std::string& name);
  std::size_t tensor_index(const std::string& name) const;
  void remove_tensor(const std::string& name);
  void remove_metadata(const std::string& key);

  std::vector<char> bytes() const;
  // Offsets at which one field ends and the next begins, up to the tensor data.
  std::vector<std::size_t> field_boundaries() const;

 private:
  std::vector<char> serialize(std::vector<std::size_t>* boundaries) const;

  std::uint32_t version_;
  std::uint32_t alignment_ = 32;
  std::vector<std::pair<std::string, std::vector<char>>> metadata_;  // key; key, type, value
  std::vector<Tensor> tensors_;
};

// Encoders of ggml tensor types, written from the block layouts in ggml-common.h.
std::vector<char> encode_f32(const std::vector<float>& values);
std::vector<char> encode_f16(const std::vector<float>& values);   // round to nearest even
std::vector<char> encode_bf16(const std::vector<float>& values);  // truncates; exact inputs
// Q8_0 / Q4_0 as ggml's reference quantizers: per 32 values, d = max|x| / 127 (Q8_0)
// or d = max / -8 with the signed maximum (Q4_0).
std::vector<char> encode_q8_0(const std::vector<float>& values);
std::vector<char> encode_q4_0(const std::vector<float>& values);
std::uint16_t float_to_half(float value);

// A complete llama GGUF of `model` (tensors in `type`: 0 F32, 1 F16, 30 BF16, 8 Q8_0,
// 2 Q4_0) with an embedded vocabulary: <unk>, <s>, </s>, "▁", the letters, then
// letter pairs with and without a leading "▁".
GgufWriter llama_gguf(const SyntheticModel& model, std::uint32_t type);
// The vocabulary llama_gguf embeds, as llama2.c tokenizer pieces (spaces, not ▁).
std::vector<std::string> llama_gguf_pieces(int vocab_size);

}  // namespace tessera::testing
