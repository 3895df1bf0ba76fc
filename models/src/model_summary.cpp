#include "tessera/models/model_summary.hpp"

#include <memory>

#include "file_cursor.hpp"
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

// A tokenizer file given with the model is described instead of the one it carries.
void summarize_gguf(const std::shared_ptr<const MappedFile>& file,
                    const std::optional<path>& tokenizer, ModelSummary& s) {
  const GgufFile gguf = GgufFile::parse(file);
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
  if (tokenizer && s.config) {
    try {
      s.tokenizer =
          summarize(Tokenizer::load(*tokenizer, s.config->vocab_size), tokenizer->string());
    } catch (const InputError& error) {
      s.tokenizer_problem = error.what();
    }
    return;
  }
  try {
    const Tokenizer t = Tokenizer::from_vocabulary(file->path(), read_gguf_vocabulary(gguf));
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

void summarize_llama2c(const std::shared_ptr<const MappedFile>& mapped,
                       const std::optional<path>& tokenizer, ModelSummary& s) {
  const path& file = mapped->path();
  const CheckpointHeader header = read_checkpoint_header(mapped);
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
  const auto mapped = std::make_shared<const MappedFile>(file);
  s.file_bytes = mapped->size();
  if (detect_checkpoint_format(*mapped) == CheckpointFormat::kGguf) {
    summarize_gguf(mapped, tokenizer, s);
    return s;
  }
  try {
    summarize_llama2c(mapped, tokenizer, s);
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
  detail::FileCursor in(mapped, "", "tokenizer");
  try {
    if (in.read<std::int32_t>("max_token_length") < 0) return std::nullopt;
    int entries = 0;
    while (in.remaining() > 0) {
      in.read<float>("a score");
      const auto length = in.read<std::int32_t>("a length");
      if (length < 0) return std::nullopt;
      in.read_bytes(static_cast<std::uint64_t>(length), "a piece");
      ++entries;
    }
    return entries;
  } catch (const InputError&) {  // entries that do not end with the file
    return std::nullopt;
  }
}

}  // namespace tessera::models
