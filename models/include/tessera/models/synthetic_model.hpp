#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tessera/models/checkpoint.hpp"

namespace tessera::models {

// Deterministic random weights for a model of any shape, so real sizes can be run and
// measured without downloads. Each value is a hash of (seed, tensor, index), so a
// tensor can be produced in any order and in pieces, and the same seed gives the same
// bytes on every machine.
//
// Scale (docs/models.md): matrices are uniform with variance 1/fan_in, so each matmul
// keeps its input's scale as trained models roughly do; the embedding (also the
// classifier when shared) has variance 3/dim, which gives logits a standard deviation
// near 3, so sampling at temperature 1 is not greedy; norm weights lie in [0.5, 1.5].
enum class SyntheticTensor {
  kEmbedding,
  kRmsAtt,
  kWq,
  kWk,
  kWv,
  kWo,
  kRmsFfn,
  kW1,
  kW2,
  kW3,
  kRmsFinal,
  kClassifier,
};

// Elements of `tensor`, all layers stacked as in every llama2.c format.
std::uint64_t synthetic_tensor_size(const ModelConfig& config, SyntheticTensor tensor);

// Weights of the model, every tensor counted once (a shared classifier is the embedding).
std::uint64_t parameter_count(const ModelConfig& config);

// Values [first, first + count) of `tensor`.
void synthetic_values(const ModelConfig& config, std::uint64_t seed, SyntheticTensor tensor,
                      std::uint64_t first, std::size_t count, float* out);
std::vector<float> synthetic_tensor(const ModelConfig& config, std::uint64_t seed,
                                    SyntheticTensor tensor);

struct SyntheticCheckpointOptions {
  std::uint64_t seed = 0;
  CheckpointFormat format = CheckpointFormat::kLegacyFp32;
  int group_size = 64;  // version 2's quantization groups
  // Called as bytes are written: (written, total).
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

// Throws InputError naming `path` for a shape no model has (validate_config) or, for
// version 2, a group size that does not divide every quantized tensor. The file's
// size is checkpoint_bytes(config, options.format, options.group_size, path).
void validate_synthetic_checkpoint(const ModelConfig& config, const std::filesystem::path& path,
                                   const SyntheticCheckpointOptions& options);

// Writes the checkpoint, streaming (memory stays small for any size). Throws
// InputError naming `path` for what validate_synthetic_checkpoint refuses or a file
// that cannot be written.
void write_synthetic_checkpoint(const ModelConfig& config, const std::filesystem::path& path,
                                const SyntheticCheckpointOptions& options);

// A llama2.c tokenizer file: max_token_length, then (score, length, bytes) per piece.
struct TokenizerPiece {
  std::string piece;
  float score;
};
void write_tokenizer(const std::filesystem::path& path, const std::vector<TokenizerPiece>& pieces);

// A vocabulary of `vocab_size` pieces laid out as llama2.c's: <unk>, <s>, </s>, the
// 256 byte pieces, then pieces learnt by byte-pair merges over a short English text,
// then numbered filler pieces. Needs vocab_size >= 259.
std::vector<TokenizerPiece> synthetic_vocabulary(int vocab_size);
constexpr int kSmallestSyntheticVocabulary = 259;

}  // namespace tessera::models
