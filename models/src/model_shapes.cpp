#include "tessera/models/model_shapes.hpp"

#include <stdexcept>

namespace tessera::models {
namespace {

ModelShape make(const std::string& name, const std::string& description, int dim, int hidden,
                int layers, int heads, int kv_heads, int vocab, int seq_len, int ffn_matrices) {
  ModelShape s;
  s.name = name;
  s.description = description;
  s.config.dim = dim;
  s.config.hidden_dim = hidden;
  s.config.n_layers = layers;
  s.config.n_heads = heads;
  s.config.n_kv_heads = kv_heads;
  s.config.vocab_size = vocab;
  s.config.seq_len = seq_len;
  s.config.shared_classifier = true;
  s.ffn_matrices = ffn_matrices;
  return s;
}

}  // namespace

const std::vector<ModelShape>& known_model_shapes() {
  static const std::vector<ModelShape> shapes = {
      make("stories260k", "karpathy/tinyllamas stories260K", 64, 172, 5, 8, 4, 512, 512, 3),
      make("stories15m", "karpathy/tinyllamas stories15M", 288, 768, 6, 6, 6, 32000, 256, 3),
      make("stories42m", "karpathy/tinyllamas stories42M", 512, 1376, 8, 8, 8, 32000, 1024, 3),
      make("stories110m", "karpathy/tinyllamas stories110M", 768, 2048, 12, 12, 12, 32000, 1024, 3),
      make("gpt2-small", "GPT-2 small (124M): a GELU MLP of width 3072", 768, 3072, 12, 12, 12,
           50257, 1024, 2),
      make("tinyllama-1.1b", "TinyLlama 1.1B: grouped-query attention, 4 key/value heads", 2048,
           5632, 22, 32, 4, 32000, 2048, 3),
      make("llama2-7b", "Llama 2 7B", 4096, 11008, 32, 32, 32, 32000, 4096, 3)};
  return shapes;
}

std::vector<std::string> model_shape_names() {
  std::vector<std::string> names;
  for (const ModelShape& s : known_model_shapes()) names.push_back(s.name);
  return names;
}

ModelShape model_shape(const std::string& name) {
  std::string list;
  for (const ModelShape& s : known_model_shapes()) {
    if (s.name == name) return s;
    list += (list.empty() ? "" : ", ") + s.name;
  }
  throw std::invalid_argument("unknown model shape '" + name + "' (known: " + list + ")");
}

ModelShape model_shape(const std::string& name, const ModelConfig& config) {
  ModelShape s;
  s.name = name;
  s.config = config;
  return s;
}

}  // namespace tessera::models
