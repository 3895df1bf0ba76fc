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

// The llama tensor names a GGUF file of `config` must hold, with each one's shape in
// GGUF order (ne0 first). output.weight is listed when the classifier is separate.
std::vector<std::pair<std::string, std::vector<std::uint64_t>>> gguf_llama_tensors(
    const ModelConfig& config);

}  // namespace tessera::models
