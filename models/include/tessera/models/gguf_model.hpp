#pragma once

#include <string>

#include "tessera/models/checkpoint.hpp"
#include "tessera/models/gguf.hpp"
#include "tessera/models/tokenizer.hpp"

namespace tessera::models {

// The Llama hyperparameters of a GGUF file from its metadata ({arch}.embedding_length,
// block_count, attention.head_count[_kv], feed_forward_length, context_length,
// attention.layer_norm_rms_epsilon, rope.dimension_count, rope.freq_base) and the
// vocabulary size from token_embd.weight. Throws InputError for an architecture other
// than llama's layout, a missing key, or a value tessera's forward pass cannot honour.
ModelConfig read_gguf_config(const GgufFile& file);

// The SentencePiece vocabulary in tokenizer.ggml.* (model "llama"). Throws InputError
// when there is none, when it is another tokenizer model, or when it is malformed.
TokenizerVocabulary read_gguf_vocabulary(const GgufFile& file);

// The llama tensors a GGUF file of `config` must hold: their number, and the name and
// shape (GGUF order, ne0 first) of each by index (output.weight is among them when the
// classifier is separate). Indexed rather than listed, so that a header claiming
// millions of blocks costs nothing until a tensor is looked for.
std::uint64_t gguf_llama_tensor_count(const ModelConfig& config);
std::pair<std::string, std::vector<std::uint64_t>> gguf_llama_tensor(const ModelConfig& config,
                                                                     std::uint64_t index);

}  // namespace tessera::models
