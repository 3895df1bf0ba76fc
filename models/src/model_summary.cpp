#include "tessera/models/model_summary.hpp"

#include <cstring>
#include <memory>

#include "tessera/models/error.hpp"
#include "tessera/models/gguf.hpp"
#include "tessera/models/gguf_model.hpp"
#include "tessera/models/mapped_file.hpp"
#include "tessera/models/model_paths.hpp"
#include "tessera/models/tokenizer.hpp"

namespace tessera::models {
namespace {

using std::filesystem::path;

TokenizerSummary summarize(const Tokenizer& t, std::string source) {
  return {std::move(source), t.vocab_size(), t.bos_id(), t.eos_id(), t.byte_tokens()};
}

void summarize_gguf(const path& file, ModelSummary& s) {
  const GgufFile gguf = GgufFile::parse(std::make_shared<const MappedFile>(file));
  s.format = "GGUF v" + std::to_string(gguf.version());
  s.shape_order = "ne0 first (GGUF order: a matrix is [in, out])";
  for (const auto& [key, value] : gguf.metadata()) s.metadata.emplace_back(key, describe(value));
  for (const GgufTensorInfo& t : gguf.tensors()) {
    s.tensors.push_back({t.name, t.type->name, t.shape, t.bytes});
  }
  try {
    s.config = read_gguf_config(gguf);
  } catch (const InputError& error) {
    s.config_problem = error.problem();
  }
  try {
    const Tokenizer t = Tokenizer::from_vocabulary(file, read_gguf_vocabulary(gguf));
    s.tokenizer = summarize(t, "embedded (GGUF)");
  } catch (const InputError& error) {
    s.tokenizer_problem = error.problem();
  }
}

// llama2.c stacks each weight over the layers: [layers][out][in].
std::vector<TensorSummary> llama2c_tensors(const ModelConfig& c, CheckpointFormat format,
                                           int group_size) {
  const auto dim = static_cast<std::uint64_t>(c.dim), kv = static_cast<std::uint64_t>(c.kv_dim()),
             hidden = static_cast<std::uint64_t>(c.hidden_dim),
             layers = static_cast<std::uint64_t>(c.n_layers),
             vocab = static_cast<std::uint64_t>(c.vocab_size);
  const bool int8 = format == CheckpointFormat::kVersion2Int8;
  // export.py's Q8_0: int8 values, then one F32 scale per group of `group_size`.
  const std::string matrix_type = int8 ? "Q8_0 g" + std::to_string(group_size) : "F32";
  const auto entry = [&](const char* name, std::vector<std::uint64_t> shape, bool matrix) {
    std::uint64_t elements = 1;
    for (std::uint64_t d : shape) elements *= d;
    const std::uint64_t bytes =
        matrix && int8 ? elements + elements / static_cast<std::uint64_t>(group_size) * 4
                       : elements * 4;
    return TensorSummary{name, matrix ? matrix_type : "F32", std::move(shape), bytes};
  };
  std::vector<TensorSummary> t = {entry("token_embedding_table", {vocab, dim}, true),
                                  entry("rms_att_weight", {layers, dim}, false),
                                  entry("wq", {layers, dim, dim}, true),
                                  entry("wk", {layers, kv, dim}, true),
                                  entry("wv", {layers, kv, dim}, true),
                                  entry("wo", {layers, dim, dim}, true),
                                  entry("rms_ffn_weight", {layers, dim}, false),
                                  entry("w1", {layers, hidden, dim}, true),
                                  entry("w2", {layers, dim, hidden}, true),
                                  entry("w3", {layers, hidden, dim}, true),
                                  entry("rms_final_weight", {dim}, false)};
  if (!c.shared_classifier) t.push_back(entry("wcls", {vocab, dim}, true));
  return t;
}

void summarize_llama2c(const path& file, const std::optional<path>& tokenizer, ModelSummary& s) {
  const CheckpointHeader header = read_checkpoint_header(file);
  s.format = to_string(header.format);
  s.shape_order = "row-major, layers first: a matrix is [out, in]";
  s.config = header.config;
  s.tensors = llama2c_tensors(header.config, header.format, header.group_size);
  try {
    const int vocab = header.config.vocab_size;
    const path source = tokenizer ? *tokenizer : default_tokenizer(file, vocab);
    s.tokenizer = summarize(Tokenizer::load(source, vocab), source.string());
  } catch (const InputError& error) {
    s.tokenizer_problem = error.what();
  }
}

}  // namespace

ModelSummary summarize_model_file(const path& file, const std::optional<path>& tokenizer) {
  ModelSummary s;
  s.path = file;
  s.file_bytes = MappedFile(file).size();
  if (detect_checkpoint_format(file) == CheckpointFormat::kGguf) {
    summarize_gguf(file, s);
    if (tokenizer && s.config) {
      s.tokenizer_problem.clear();
      try {
        s.tokenizer =
            summarize(Tokenizer::load(*tokenizer, s.config->vocab_size), tokenizer->string());
      } catch (const InputError& error) {
        s.tokenizer.reset();
        s.tokenizer_problem = error.what();
      }
    }
    return s;
  }
  try {
    summarize_llama2c(file, tokenizer, s);
  } catch (const InputError&) {
    if (const auto tokens = llama2c_tokenizer_entries(file)) {
      throw InputError(file, "a llama2.c tokenizer of " + std::to_string(*tokens) +
                                 " tokens, not a model (give it to a model with -z)");
    }
    throw;
  }
  return s;
}

std::optional<int> llama2c_tokenizer_entries(const path& file) {
  const MappedFile mapped(file);
  const std::uint8_t* at = mapped.data();
  std::uint64_t left = mapped.size();
  const auto take_i32 = [&](std::int32_t& value) {
    if (left < 4) return false;
    std::memcpy(&value, at, 4);
    at += 4;
    left -= 4;
    return true;
  };
  std::int32_t value = 0;
  if (!take_i32(value) || value < 0) return std::nullopt;  // max_token_length
  int entries = 0;
  while (left > 0) {
    std::int32_t length = 0;
    if (!take_i32(value) || !take_i32(length) || length < 0 ||
        static_cast<std::uint64_t>(length) > left) {
      return std::nullopt;
    }
    at += length;
    left -= static_cast<std::uint64_t>(length);
    ++entries;
  }
  return entries;
}

}  // namespace tessera::models
