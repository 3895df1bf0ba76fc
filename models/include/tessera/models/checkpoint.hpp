#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace tessera::models {

// Hyperparameters of a Llama-architecture model, as in llama2.c's Config.
struct ModelConfig {
  int dim = 0;         // residual stream width
  int hidden_dim = 0;  // SwiGLU hidden width
  int n_layers = 0;
  int n_heads = 0;     // query heads
  int n_kv_heads = 0;  // key/value heads (grouped-query attention when < n_heads)
  int vocab_size = 0;
  int seq_len = 0;                // longest sequence the model was trained for
  bool shared_classifier = true;  // classifier weights are the token embedding
  // llama2.c fixes both; GGUF files may set them (llama.attention.layer_norm_rms_epsilon,
  // llama.rope.freq_base).
  float rms_norm_epsilon = 1e-5f;
  float rope_theta = 10000.0f;

  int head_size() const { return dim / n_heads; }
  int kv_dim() const { return n_kv_heads * head_size(); }
  int queries_per_kv_head() const { return n_heads / n_kv_heads; }
};

// The encodings of llama2.c checkpoints that tessera reads.
enum class CheckpointFormat {
  kLegacyFp32,    // llama2.c "version 0": 28-byte header, fp32, RoPE tables (run.c)
  kVersion1Fp32,  // export.py version 1: 256-byte "ak42" header, fp32
  kVersion2Int8,  // export.py version 2: int8 Q8_0 groups (runq.c), dequantized here
  kGguf,          // llama.cpp's GGUF (v2, v3), architecture llama, tokenizer embedded
};
std::string to_string(CheckpointFormat format);

// Throws InputError naming `file` when no llama2.c model has these hyperparameters: a
// field not positive, heads that do not divide, an odd head size, or a model whose
// fp32 checkpoint would not fit in 64-bit offsets.
void validate_config(const ModelConfig& config, const std::filesystem::path& file);

// Bytes of a llama2.c checkpoint of `config` in `format` (`group_size`: version 2's
// quantization groups): what a loader requires and a writer writes. Throws InputError
// naming `file` when the size overflows 64 bits or, for version 2, when the group size
// is not positive or does not divide every quantized tensor.
std::uint64_t checkpoint_bytes(const ModelConfig& config, CheckpointFormat format, int group_size,
                               const std::filesystem::path& file);

// What a model file's header says, checked against the file's size; no weights read.
struct CheckpointHeader {
  CheckpointFormat format;
  ModelConfig config;
  int group_size = 0;  // version 2's quantization groups
};
class MappedFile;

// Throws InputError as Checkpoint::load does for a malformed header.
CheckpointHeader read_checkpoint_header(const std::filesystem::path& path);
CheckpointHeader read_checkpoint_header(const std::shared_ptr<const MappedFile>& file);
// The format of a model file from its first bytes (and a .gguf name). Throws
// InputError for a file too short to tell or an unsupported llama2.c version.
CheckpointFormat detect_checkpoint_format(const MappedFile& file);

using RowMajorMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixView = Eigen::Map<const RowMajorMatrixXf>;
using ConstVectorView = Eigen::Map<const Eigen::VectorXf>;

// One transformer block's weights. Matrices are [out][in], so y = W * x.
struct LayerWeights {
  ConstVectorView rms_att;  // [dim]
  ConstMatrixView wq;       // [n_heads * head_size][dim]
  ConstMatrixView wk;       // [kv_dim][dim]
  ConstMatrixView wv;       // [kv_dim][dim]
  ConstMatrixView wo;       // [dim][n_heads * head_size]
  ConstVectorView rms_ffn;  // [dim]
  ConstMatrixView w1;       // [hidden_dim][dim]  gate
  ConstMatrixView w2;       // [dim][hidden_dim]  down
  ConstMatrixView w3;       // [hidden_dim][dim]  up
};

struct ModelWeights {
  ConstMatrixView token_embedding;  // [vocab_size][dim]
  std::vector<LayerWeights> layers;
  ConstVectorView rms_final;   // [dim]
  ConstMatrixView classifier;  // [vocab_size][dim]; aliases token_embedding when shared
};

class Tokenizer;
namespace detail {
struct CheckpointParts;
}

// A loaded checkpoint: config plus views of the weights. Copies share the storage
// (the file mapping, or the dequantized buffer), which lives as long as any copy.
class Checkpoint {
 public:
  // Reads a llama2.c checkpoint or a GGUF file (by its magic). Throws InputError
  // naming the file and the problem for anything malformed; never allocates more than
  // the file justifies.
  static Checkpoint load(const std::filesystem::path& path);

  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return *weights_; }
  CheckpointFormat format() const { return format_; }
  // A hint that the fp32 weights will not be read for a while (an int8 device has
  // quantized them): a mapped file's pages leave resident memory and come back from
  // the file when read. Nothing for weights held in memory (version 2 files).
  void release_resident_weights() const;
  const std::filesystem::path& path() const { return path_; }

  // The tokenizer the model file carries (GGUF), or null when it carries none
  // (llama2.c keeps its tokenizer in a file of its own). Throws InputError when the
  // file carries one tessera cannot use, saying why.
  std::shared_ptr<const Tokenizer> embedded_tokenizer() const;
  // The BOS id sequences start with: the embedded tokenizer's, else llama2.c's.
  int bos_id() const;

 private:
  Checkpoint(std::filesystem::path path, detail::CheckpointParts parts);

  std::filesystem::path path_;
  CheckpointFormat format_;
  ModelConfig config_;
  std::shared_ptr<const void> storage_;        // keeps the bytes behind the views alive
  std::shared_ptr<const MappedFile> mapping_;  // the storage, when it is the file
  std::shared_ptr<const ModelWeights> weights_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::string tokenizer_problem_;  // why the file's tokenizer cannot be used
};

}  // namespace tessera::models
