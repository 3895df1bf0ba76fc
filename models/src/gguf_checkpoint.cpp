// Weights and tokenizer of a GGUF llama model. GGUF stores each matrix with ne0 = the
// input width, i.e. row-major [out][in] as llama2.c does, so a tensor's bytes are the
// matrix tessera multiplies with. llama.cpp's converters permute the rows of Q and K
// of Hugging Face checkpoints so that llama.cpp's "normal" RoPE, which rotates
// adjacent pairs, is correct; llama2.c rotates adjacent pairs too, so the rows are
// used as stored (stories260K.gguf and stories260K.bin hold identical bytes).
#include <set>
#include <unordered_map>

#include "checkpoint_parts.hpp"
#include "tessera/models/error.hpp"
#include "tessera/models/gguf.hpp"
#include "tessera/models/gguf_model.hpp"

namespace tessera::models::detail {
namespace {

// The file's tensors, checked against the llama layout of `c`: each present once
// with its shape and a readable type, nothing else beside them.
std::vector<const GgufTensorInfo*> llama_tensors(const GgufFile& file, const ModelConfig& c) {
  std::set<std::string> names;
  std::vector<const GgufTensorInfo*> tensors;
  // Every expected tensor is looked up, so a header claiming more blocks than the file
  // holds tensors stops at the first missing one: work bounded by the file.
  for (std::uint64_t i = 0; i < gguf_llama_tensor_count(c); ++i) {
    const auto [name, shape] = gguf_llama_tensor(c, i);
    names.insert(name);
    const GgufTensorInfo* t = file.find_tensor(name);
    if (t == nullptr) file.fail("missing required tensor " + name);
    if (t->shape != shape) {
      file.fail("tensor " + name + " has shape " + shape_text(t->shape) +
                " but the hyperparameters need " + shape_text(shape) + " (ne0 first)");
    }
    if (!t->type->readable()) {
      file.fail("tensor " + name + " has type " + t->type->name +
                ", which tessera does not read (it reads " + readable_ggml_type_names() + ")");
    }
    tensors.push_back(t);
  }
  for (const GgufTensorInfo& t : file.tensors()) {
    if (names.count(t.name) == 0) {
      file.fail("tensor " + t.name +
                " is not part of the llama layout tessera runs (no biases, RoPE factors "
                "or extra blocks)");
    }
  }
  return tensors;
}

bool usable_in_place(const GgufFile& file, const GgufTensorInfo& t) {
  return t.type->id == kGgmlF32 &&
         reinterpret_cast<std::uintptr_t>(file.tensor_data(t)) % alignof(float) == 0;
}

// The mapping, for tensors used in place, and fp32 copies of the others.
struct GgufStorage {
  std::shared_ptr<const MappedFile> file;
  std::vector<float> dequantized;
};

std::unordered_map<std::string, const float*> tensor_floats(
    const GgufFile& file, const std::vector<const GgufTensorInfo*>& tensors, GgufStorage& storage) {
  std::uint64_t copies = 0;
  for (const GgufTensorInfo* t : tensors) {
    if (!usable_in_place(file, *t)) copies += t->elements;
  }
  storage.dequantized.resize(static_cast<std::size_t>(copies));
  std::unordered_map<std::string, const float*> floats;
  float* next = storage.dequantized.data();
  for (const GgufTensorInfo* t : tensors) {
    if (usable_in_place(file, *t)) {
      floats[t->name] = reinterpret_cast<const float*>(file.tensor_data(*t));
      continue;
    }
    t->type->dequantize(file.tensor_data(*t), t->elements / t->type->block_elements, next);
    floats[t->name] = next;
    next += t->elements;
  }
  return floats;
}

std::shared_ptr<const ModelWeights> make_weights(
    const ModelConfig& c, const std::unordered_map<std::string, const float*>& f) {
  const Eigen::Index dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab = c.vocab_size;
  const float* embedding = f.at("token_embd.weight");
  const float* classifier = c.shared_classifier ? embedding : f.at("output.weight");
  auto weights =
      std::make_shared<ModelWeights>(ModelWeights{ConstMatrixView(embedding, vocab, dim),
                                                  {},
                                                  ConstVectorView(f.at("output_norm.weight"), dim),
                                                  ConstMatrixView(classifier, vocab, dim)});
  weights->layers.reserve(static_cast<std::size_t>(c.n_layers));
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    const auto at = [&](const char* name) { return f.at(b + name); };
    weights->layers.push_back(LayerWeights{ConstVectorView(at("attn_norm.weight"), dim),
                                           ConstMatrixView(at("attn_q.weight"), dim, dim),
                                           ConstMatrixView(at("attn_k.weight"), kv, dim),
                                           ConstMatrixView(at("attn_v.weight"), kv, dim),
                                           ConstMatrixView(at("attn_output.weight"), dim, dim),
                                           ConstVectorView(at("ffn_norm.weight"), dim),
                                           ConstMatrixView(at("ffn_gate.weight"), hidden, dim),
                                           ConstMatrixView(at("ffn_down.weight"), dim, hidden),
                                           ConstMatrixView(at("ffn_up.weight"), hidden, dim)});
  }
  return weights;
}

// The embedded tokenizer, or why it cannot be used: a model without a usable one
// still loads (a tokenizer file can be given instead).
void read_tokenizer(const GgufFile& file, const ModelConfig& c, CheckpointParts& parts) {
  try {
    auto tokenizer = std::make_shared<const Tokenizer>(
        Tokenizer::from_vocabulary(file.path(), read_gguf_vocabulary(file)));
    if (tokenizer->vocab_size() != c.vocab_size) {
      parts.tokenizer_problem = "GGUF: embedded tokenizer has " +
                                std::to_string(tokenizer->vocab_size()) + " tokens but the model " +
                                std::to_string(c.vocab_size);
      return;
    }
    parts.tokenizer = std::move(tokenizer);
  } catch (const InputError& error) {
    parts.tokenizer_problem = error.problem();
  }
}

}  // namespace

CheckpointParts load_gguf(const std::shared_ptr<const MappedFile>& mapped) {
  const GgufFile file = GgufFile::parse(mapped);
  CheckpointParts parts;
  parts.format = CheckpointFormat::kGguf;
  parts.config = read_gguf_config(file);
  const std::vector<const GgufTensorInfo*> tensors = llama_tensors(file, parts.config);
  auto storage = std::make_shared<GgufStorage>();
  storage->file = mapped;
  parts.weights = make_weights(parts.config, tensor_floats(file, tensors, *storage));
  std::uint64_t elements = 0;
  for (const GgufTensorInfo* t : tensors) elements += t->elements;
  if (storage->dequantized.size() < elements) parts.mapping = mapped;  // some used in place
  parts.storage = std::move(storage);
  read_tokenizer(file, parts.config, parts);
  return parts;
}

}  // namespace tessera::models::detail
