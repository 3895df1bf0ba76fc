#include "runtime/model_shapes.hpp"

#include <stdexcept>

namespace tessera::runtime {
namespace {

ModelShape make(const std::string& name, int dim, int hidden, int layers, int heads, int kv_heads,
                int vocab, int seq_len, int ffn_matrices) {
  ModelShape s;
  s.name = name;
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

// karpathy/tinyllamas stories260K and stories110M, GPT-2 small (124M) and Llama 2 7B,
// from their published configurations.
const std::vector<ModelShape>& known() {
  static const std::vector<ModelShape> shapes = {
      make("stories260k", 64, 172, 5, 8, 4, 512, 512, 3),
      make("stories110m", 768, 2048, 12, 12, 12, 32000, 1024, 3),
      make("gpt2-small", 768, 3072, 12, 12, 12, 50257, 1024, 2),
      make("llama2-7b", 4096, 11008, 32, 32, 32, 32000, 4096, 3)};
  return shapes;
}

}  // namespace

std::vector<std::string> model_shape_names() {
  std::vector<std::string> names;
  for (const ModelShape& s : known()) names.push_back(s.name);
  return names;
}

ModelShape model_shape(const std::string& name) {
  std::string list;
  for (const ModelShape& s : known()) {
    if (s.name == name) return s;
    list += (list.empty() ? "" : ", ") + s.name;
  }
  throw std::invalid_argument("unknown model shape '" + name + "' (known: " + list + ")");
}

ModelShape model_shape(const std::string& name, const models::ModelConfig& config) {
  ModelShape s;
  s.name = name;
  s.config = config;
  return s;
}

}  // namespace tessera::runtime
