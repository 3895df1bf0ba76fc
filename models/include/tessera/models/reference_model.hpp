#pragma once

#include <Eigen/Core>
#include <vector>

#include "tessera/models/checkpoint.hpp"

namespace tessera::models {

// Every intermediate of one transformer block at one position: the inputs and
// outputs of each matmul and of attention. Later checks compare each accelerator
// layer against these.
struct LayerTrace {
  Eigen::VectorXf input;       // residual stream entering the block
  Eigen::VectorXf attn_norm;   // RMSNorm output: input of wq, wk, wv
  Eigen::VectorXf q, k, v;     // matmul outputs, before RoPE
  Eigen::VectorXf q_rope;      // query after RoPE: input of attention
  Eigen::VectorXf k_rope;      // key after RoPE, as written to the KV cache
  Eigen::VectorXf attention;   // attention output, heads concatenated: input of wo
  Eigen::VectorXf attn_proj;   // wo output
  Eigen::VectorXf ffn_norm;    // RMSNorm output: input of w1 and w3
  Eigen::VectorXf gate, up;    // w1 and w3 outputs
  Eigen::VectorXf ffn_hidden;  // silu(gate) ⊙ up: input of w2
  Eigen::VectorXf ffn_out;     // w2 output
  Eigen::VectorXf output;      // residual stream leaving the block
};

struct ForwardTrace {
  int token = 0;
  int pos = 0;
  std::vector<LayerTrace> layers;
  Eigen::VectorXf final_norm;  // input of the classifier
  Eigen::VectorXf logits;
};

// The fp32 golden model: a Llama forward pass written with Eigen so that it reads as
// the specification (RMSNorm, RoPE on adjacent pairs, grouped-query attention over a
// KV cache, SwiGLU, shared or separate classifier). It decodes one token per call.
class ReferenceModel {
 public:
  // max_positions bounds the KV cache (at most the model's seq_len); it is allocated
  // for the positions a run can reach, not for the whole trained context.
  ReferenceModel(Checkpoint checkpoint, int max_positions);

  // Logits for the token at position pos, given the cached positions 0..pos-1.
  // When trace is non-null every intermediate is copied into it.
  const Eigen::VectorXf& forward(int token, int pos, ForwardTrace* trace = nullptr);

  const ModelConfig& config() const { return checkpoint_.config(); }
  const Checkpoint& checkpoint() const { return checkpoint_; }
  int max_positions() const { return max_positions_; }

 private:
  void attention(int layer, int pos);

  Checkpoint checkpoint_;
  int max_positions_;
  // Per layer [max_positions][kv_dim]: row t is position t's key (after RoPE) or value.
  std::vector<RowMajorMatrixXf> key_cache_, value_cache_;
  // Activations of the current position, reused across calls.
  Eigen::VectorXf x_, xb_, q_, k_, v_, attention_out_, attn_proj_;
  Eigen::VectorXf gate_, up_, hidden_, ffn_out_, scores_, logits_;
};

}  // namespace tessera::models
