#include "tessera/models/model_config_json.hpp"

namespace tessera::models {

nlohmann::ordered_json model_config_json(const ModelConfig& c) {
  return {{"dim", c.dim},
          {"hidden_dim", c.hidden_dim},
          {"n_layers", c.n_layers},
          {"n_heads", c.n_heads},
          {"n_kv_heads", c.n_kv_heads},
          {"head_size", c.head_size()},
          {"vocab_size", c.vocab_size},
          {"seq_len", c.seq_len},
          {"shared_classifier", c.shared_classifier},
          {"rms_norm_epsilon", c.rms_norm_epsilon},
          {"rope_theta", c.rope_theta}};
}

}  // namespace tessera::models
