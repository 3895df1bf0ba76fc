#include "tessera/models/gguf_model.hpp"

#include <cmath>
#include <limits>

#include "tessera/models/error.hpp"

namespace tessera::models {
namespace {

// Architectures whose GGUF tensors and keys follow llama's layout exactly (no biases,
// no extra norms): one entry per name.
constexpr const char* kLlamaLayoutArchitectures[] = {"llama"};

int positive_int(const GgufFile& file, const std::string& key, std::uint64_t value) {
  if (value == 0 || value > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
    file.fail("metadata " + key + " = " + std::to_string(value) + " is not a usable size");
  }
  return static_cast<int>(value);
}

int required_int(const GgufFile& file, const std::string& key) {
  const auto value = file.unsigned_integer(key);
  if (!value) file.fail("missing required metadata key " + key);
  return positive_int(file, key, *value);
}

std::string architecture(const GgufFile& file) {
  const auto arch = file.string("general.architecture");
  if (!arch) file.fail("missing required metadata key general.architecture");
  for (const char* known : kLlamaLayoutArchitectures) {
    if (*arch == known) return *arch;
  }
  file.fail("architecture \"" + *arch +
            "\" is not supported (tessera runs the llama layout: architecture \"llama\")");
}

}  // namespace

ModelConfig read_gguf_config(const GgufFile& file) {
  const std::string arch = architecture(file);
  const auto key = [&](const char* name) { return arch + "." + name; };
  ModelConfig c;
  c.dim = required_int(file, key("embedding_length"));
  c.n_layers = required_int(file, key("block_count"));
  c.n_heads = required_int(file, key("attention.head_count"));
  c.hidden_dim = required_int(file, key("feed_forward_length"));
  c.seq_len = required_int(file, key("context_length"));
  const auto kv_heads = file.unsigned_integer(key("attention.head_count_kv"));
  c.n_kv_heads =
      kv_heads ? positive_int(file, key("attention.head_count_kv"), *kv_heads) : c.n_heads;

  const auto epsilon = file.number(key("attention.layer_norm_rms_epsilon"));
  if (!epsilon)
    file.fail("missing required metadata key " + key("attention.layer_norm_rms_epsilon"));
  if (!(*epsilon > 0.0 && *epsilon < 1.0)) {
    file.fail(key("attention.layer_norm_rms_epsilon") + " = " + std::to_string(*epsilon) +
              " is not a usable RMSNorm epsilon");
  }
  c.rms_norm_epsilon = static_cast<float>(*epsilon);
  if (const auto theta = file.number(key("rope.freq_base"))) {
    if (!(*theta > 1.0 && std::isfinite(*theta))) {
      file.fail(key("rope.freq_base") + " = " + std::to_string(*theta) + " is not a usable base");
    }
    c.rope_theta = static_cast<float>(*theta);
  }

  const GgufTensorInfo* embedding = file.find_tensor("token_embd.weight");
  if (embedding == nullptr) file.fail("missing required tensor token_embd.weight");
  if (embedding->shape.size() != 2) file.fail("token_embd.weight is not a matrix");
  c.vocab_size = positive_int(file, "token_embd.weight's row count", embedding->shape[1]);
  c.shared_classifier = file.find_tensor("output.weight") == nullptr;
  validate_config(c, file.path());

  // Features of other Llama-family files that this forward pass does not implement:
  // refusing them beats generating text from the wrong function.
  if (const auto rope_dims = file.unsigned_integer(key("rope.dimension_count"));
      rope_dims && *rope_dims != static_cast<std::uint64_t>(c.head_size())) {
    file.fail(key("rope.dimension_count") + " = " + std::to_string(*rope_dims) +
              " rotates part of each head; tessera's RoPE rotates all " +
              std::to_string(c.head_size()) + " dimensions");
  }
  for (const char* name : {"attention.key_length", "attention.value_length"}) {
    if (const auto length = file.unsigned_integer(key(name));
        length && *length != static_cast<std::uint64_t>(c.head_size())) {
      file.fail(key(name) + " = " + std::to_string(*length) + " differs from the head size " +
                std::to_string(c.head_size()) + " (embedding_length / head_count)");
    }
  }
  if (const auto scaling = file.string(key("rope.scaling.type")); scaling && *scaling != "none") {
    file.fail("RoPE scaling \"" + *scaling + "\" is not supported");
  }
  if (const auto vocab = file.unsigned_integer(key("vocab_size"));
      vocab && *vocab != static_cast<std::uint64_t>(c.vocab_size)) {
    file.fail(key("vocab_size") + " = " + std::to_string(*vocab) + " but token_embd.weight has " +
              std::to_string(c.vocab_size) + " rows");
  }
  return c;
}

namespace {

constexpr std::uint64_t kTensorsPerBlock = 9;

// token_embd, output_norm and, for a separate classifier, output.
std::uint64_t global_tensors(const ModelConfig& c) { return c.shared_classifier ? 2 : 3; }

}  // namespace

std::uint64_t gguf_llama_tensor_count(const ModelConfig& c) {
  return global_tensors(c) + kTensorsPerBlock * static_cast<std::uint64_t>(c.n_layers);
}

std::pair<std::string, std::vector<std::uint64_t>> gguf_llama_tensor(const ModelConfig& c,
                                                                     std::uint64_t index) {
  const auto dim = static_cast<std::uint64_t>(c.dim);
  const auto kv = static_cast<std::uint64_t>(c.kv_dim());
  const auto hidden = static_cast<std::uint64_t>(c.hidden_dim);
  const auto vocab = static_cast<std::uint64_t>(c.vocab_size);
  const std::uint64_t global = global_tensors(c);
  if (index < global) {
    if (index == 0) return {"token_embd.weight", {dim, vocab}};
    if (index == 1) return {"output_norm.weight", {dim}};
    return {"output.weight", {dim, vocab}};
  }
  const std::uint64_t block = (index - global) / kTensorsPerBlock;
  const std::string b = "blk." + std::to_string(block) + ".";
  switch ((index - global) % kTensorsPerBlock) {
    case 0:
      return {b + "attn_norm.weight", {dim}};
    case 1:
      return {b + "attn_q.weight", {dim, dim}};
    case 2:
      return {b + "attn_k.weight", {dim, kv}};
    case 3:
      return {b + "attn_v.weight", {dim, kv}};
    case 4:
      return {b + "attn_output.weight", {dim, dim}};
    case 5:
      return {b + "ffn_norm.weight", {dim}};
    case 6:
      return {b + "ffn_gate.weight", {dim, hidden}};
    case 7:
      return {b + "ffn_down.weight", {hidden, dim}};
    default:
      return {b + "ffn_up.weight", {dim, hidden}};
  }
}

TokenizerVocabulary read_gguf_vocabulary(const GgufFile& file) {
  const auto model = file.string("tokenizer.ggml.model");
  if (!model) file.fail("has no embedded tokenizer (tokenizer.ggml.model); give one with -z");
  if (*model != "llama") {
    file.fail("embedded tokenizer \"" + *model +
              "\" is not supported (tessera reads SentencePiece vocabularies, \"llama\")");
  }
  const auto* tokens = file.array("tokenizer.ggml.tokens", GgufType::kString);
  if (tokens == nullptr) file.fail("missing required metadata key tokenizer.ggml.tokens");
  const std::size_t n = tokens->size();
  const auto* scores = file.array("tokenizer.ggml.scores", GgufType::kFloat32);
  const auto* types = file.array("tokenizer.ggml.token_type", GgufType::kInt32);
  for (const auto& [name, list] : {std::pair{"scores", scores}, std::pair{"token_type", types}}) {
    if (list != nullptr && list->size() != n) {
      file.fail(std::string("tokenizer.ggml.") + name + " has " + std::to_string(list->size()) +
                " entries for " + std::to_string(n) + " tokens");
    }
  }
  TokenizerVocabulary v;
  v.pieces.reserve(n);
  for (const GgufValue& token : *tokens) v.pieces.push_back(std::get<std::string>(token.value));
  v.scores.assign(n, 0.0f);
  v.kinds.assign(n, TokenKind::kNormal);
  for (std::size_t i = 0; i < n; ++i) {
    if (scores) v.scores[i] = static_cast<float>(std::get<double>((*scores)[i].value));
    if (types == nullptr) continue;
    const GgufValue& kind = (*types)[i];
    const auto* u = std::get_if<std::uint64_t>(&kind.value);
    const auto* s = std::get_if<std::int64_t>(&kind.value);
    const std::int64_t raw = u ? static_cast<std::int64_t>(*u) : *s;
    if (raw < 1 || raw > 6) {
      file.fail("tokenizer.ggml.token_type[" + std::to_string(i) + "] = " + std::to_string(raw) +
                " is not a SentencePiece token type (1 to 6)");
    }
    v.kinds[i] = static_cast<TokenKind>(raw);
  }
  for (auto [key, id] : {std::pair{"tokenizer.ggml.bos_token_id", &v.bos},
                         std::pair{"tokenizer.ggml.eos_token_id", &v.eos}}) {
    const auto value = file.unsigned_integer(key);
    if (!value) continue;  // llama's SentencePiece defaults, 1 and 2
    if (*value >= n) {
      file.fail(std::string(key) + " = " + std::to_string(*value) + " is outside the " +
                std::to_string(n) + " tokens");
    }
    *id = static_cast<int>(*value);
  }
  return v;
}

}  // namespace tessera::models
