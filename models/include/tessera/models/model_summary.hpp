#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tessera/models/checkpoint.hpp"

namespace tessera::models {

struct TensorSummary {
  std::string name;
  std::string type;                  // ggml's name ("F32", "Q8_0"); "Q8_0 gN" for llama2.c v2
  std::vector<std::uint64_t> shape;  // as the file orders it (see ModelSummary)
  std::uint64_t bytes = 0;
};

struct TokenizerSummary {
  std::string source;  // "embedded (GGUF)" or the tokenizer file's path
  int tokens = 0;
  int bos = 0;
  int eos = 0;
  int byte_tokens = 0;  // bytes with a byte-fallback token
};

// What a model file holds, read from its header and metadata only (no weights are
// read, so files tessera cannot run are described too).
struct ModelSummary {
  std::filesystem::path path;
  std::uint64_t file_bytes = 0;
  std::string format;       // "GGUF v3", "llama2.c legacy fp32", ...
  std::string shape_order;  // how TensorSummary::shape lists dimensions
  std::optional<ModelConfig> config;
  std::string config_problem;                                 // why there is no config
  std::vector<std::pair<std::string, std::string>> metadata;  // GGUF key, value as text
  std::vector<TensorSummary> tensors;
  std::optional<TokenizerSummary> tokenizer;
  std::string tokenizer_problem;  // why there is no tokenizer
};

// Throws InputError only when the file is not a readable model file at all.
// `tokenizer` names a llama2.c tokenizer to describe; else the model's own (GGUF) or
// the one found beside it.
ModelSummary summarize_model_file(const std::filesystem::path& file,
                                  const std::optional<std::filesystem::path>& tokenizer);

// The number of tokens in a llama2.c tokenizer file, or nullopt when the file is not
// one (its entries do not end exactly at the end of the file).
std::optional<int> llama2c_tokenizer_entries(const std::filesystem::path& file);

}  // namespace tessera::models
