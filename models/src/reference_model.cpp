#include "tessera/models/reference_model.hpp"

#include <unistd.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "tessera/models/ops.hpp"

namespace tessera::models {
namespace {

// The KV cache is the one allocation a header can inflate beyond the file (a version
// 2 checkpoint's seq_len is not backed by any data): refuse before touching memory.
void require_cache_fits_in_memory(std::size_t layers, std::size_t positions, std::size_t kv_dim) {
  const double bytes = 2.0 * static_cast<double>(layers) * static_cast<double>(positions) *
                       static_cast<double>(kv_dim) * sizeof(float);
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return;
  const double memory = static_cast<double>(pages) * static_cast<double>(page_size);
  if (bytes > 0.5 * memory) {
    throw std::invalid_argument("reference model: a KV cache for " + std::to_string(positions) +
                                " positions needs " + std::to_string(bytes / (1 << 30)) +
                                " GiB, more than half of this machine's memory; run fewer "
                                "steps (-n)");
  }
}

}  // namespace

ReferenceModel::ReferenceModel(Checkpoint checkpoint, int max_positions)
    : checkpoint_(std::move(checkpoint)), max_positions_(max_positions) {
  const ModelConfig& c = config();
  if (max_positions <= 0 || max_positions > c.seq_len) {
    throw std::invalid_argument("reference model: max_positions " + std::to_string(max_positions) +
                                " must be in [1, seq_len = " + std::to_string(c.seq_len) + "]");
  }
  const auto layers = static_cast<std::size_t>(c.n_layers);
  require_cache_fits_in_memory(layers, static_cast<std::size_t>(max_positions),
                               static_cast<std::size_t>(c.kv_dim()));
  key_cache_.assign(layers, RowMajorMatrixXf::Zero(max_positions, c.kv_dim()));
  value_cache_.assign(layers, RowMajorMatrixXf::Zero(max_positions, c.kv_dim()));
  x_.resize(c.dim);
  xb_.resize(c.dim);
  attention_out_.resize(c.dim);
  scores_.resize(max_positions);
}

const Eigen::VectorXf& ReferenceModel::forward(int token, int pos, ForwardTrace* trace) {
  const ModelConfig& c = config();
  const ModelWeights& w = checkpoint_.weights();
  if (token < 0 || token >= c.vocab_size) {
    throw std::out_of_range("reference model: token " + std::to_string(token) +
                            " outside the vocabulary [0, " + std::to_string(c.vocab_size) + ")");
  }
  if (pos < 0 || pos >= max_positions_) {
    throw std::out_of_range("reference model: position " + std::to_string(pos) +
                            " outside the KV cache [0, " + std::to_string(max_positions_) + ")");
  }
  if (trace != nullptr) {
    trace->token = token;
    trace->pos = pos;
    trace->layers.resize(static_cast<std::size_t>(c.n_layers));
  }

  x_ = w.token_embedding.row(token).transpose();
  for (int l = 0; l < c.n_layers; ++l) {
    const auto layer = static_cast<std::size_t>(l);
    const LayerWeights& lw = w.layers[layer];
    LayerTrace* lt = trace != nullptr ? &trace->layers[layer] : nullptr;
    auto note = [lt](Eigen::VectorXf LayerTrace::*field, const Eigen::VectorXf& value) {
      if (lt != nullptr) lt->*field = value;
    };
    note(&LayerTrace::input, x_);

    // Attention block: x += wo · attention(rope(wq·n), rope(wk·n), wv·n), n = rmsnorm(x).
    rmsnorm(xb_, x_, lw.rms_att, c.rms_norm_epsilon);
    note(&LayerTrace::attn_norm, xb_);
    q_.noalias() = lw.wq * xb_;
    k_.noalias() = lw.wk * xb_;
    v_.noalias() = lw.wv * xb_;
    note(&LayerTrace::q, q_);
    note(&LayerTrace::k, k_);
    note(&LayerTrace::v, v_);
    apply_rope(q_, pos, c.head_size(), c.rope_theta);
    apply_rope(k_, pos, c.head_size(), c.rope_theta);
    note(&LayerTrace::q_rope, q_);
    note(&LayerTrace::k_rope, k_);
    key_cache_[layer].row(pos) = k_.transpose();
    value_cache_[layer].row(pos) = v_.transpose();
    attention(l, pos);
    note(&LayerTrace::attention, attention_out_);
    attn_proj_.noalias() = lw.wo * attention_out_;
    note(&LayerTrace::attn_proj, attn_proj_);
    x_ += attn_proj_;

    // Feed-forward block: x += w2 · (silu(w1·n) ⊙ w3·n), n = rmsnorm(x).
    rmsnorm(xb_, x_, lw.rms_ffn, c.rms_norm_epsilon);
    note(&LayerTrace::ffn_norm, xb_);
    gate_.noalias() = lw.w1 * xb_;
    up_.noalias() = lw.w3 * xb_;
    note(&LayerTrace::gate, gate_);
    note(&LayerTrace::up, up_);
    hidden_.resize(gate_.size());
    swiglu(hidden_, gate_, up_);
    note(&LayerTrace::ffn_hidden, hidden_);
    ffn_out_.noalias() = lw.w2 * hidden_;
    note(&LayerTrace::ffn_out, ffn_out_);
    x_ += ffn_out_;
    note(&LayerTrace::output, x_);
  }

  rmsnorm(xb_, x_, w.rms_final, c.rms_norm_epsilon);
  logits_.noalias() = w.classifier * xb_;
  if (trace != nullptr) {
    trace->final_norm = xb_;
    trace->logits = logits_;
  }
  return logits_;
}

// Causal grouped-query attention of the current query over positions 0..pos. Query
// head h reads key/value head h / (n_heads / n_kv_heads).
void ReferenceModel::attention(int layer, int pos) {
  const ModelConfig& c = config();
  const int hs = c.head_size();
  const int positions = pos + 1;
  const float sqrt_head_size = std::sqrt(static_cast<float>(hs));
  const RowMajorMatrixXf& keys = key_cache_[static_cast<std::size_t>(layer)];
  const RowMajorMatrixXf& values = value_cache_[static_cast<std::size_t>(layer)];
  for (int h = 0; h < c.n_heads; ++h) {
    const int kv_column = (h / c.queries_per_kv_head()) * hs;
    auto q_head = q_.segment(h * hs, hs);
    auto k_head = keys.block(0, kv_column, positions, hs);
    auto v_head = values.block(0, kv_column, positions, hs);
    auto scores = scores_.head(positions);
    scores.noalias() = k_head * q_head;
    scores /= sqrt_head_size;
    softmax_in_place(scores.data(), positions);
    attention_out_.segment(h * hs, hs).noalias() = v_head.transpose() * scores;
  }
}

}  // namespace tessera::models
