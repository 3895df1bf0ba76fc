#include "runtime/int8_model.hpp"

#include <stdexcept>
#include <string>

#include "tessera/models/ops.hpp"
#include "tessera/numerics/int8.hpp"

namespace tessera::runtime {

namespace nx = tessera::numerics;

namespace {
std::size_t sz(long n) { return static_cast<std::size_t>(n); }
}  // namespace

Int8Model::Int8Model(const models::Checkpoint& checkpoint, int max_positions, Int8Kernels& kernels,
                     const PhaseProgress& progress)
    : checkpoint_(checkpoint),
      weights_(models::quantize_model(checkpoint,
                                      [&progress](int done, int total) {
                                        if (progress) progress("quantize", done, total);
                                      })),
      kernels_(kernels),
      max_positions_(max_positions) {
  const models::ModelConfig& c = config();
  if (max_positions <= 0 || max_positions > c.seq_len) {
    throw std::invalid_argument("int8 model: max_positions " + std::to_string(max_positions) +
                                " must be in [1, seq_len = " + std::to_string(c.seq_len) + "]");
  }
  const auto layers = sz(c.n_layers);
  const std::size_t values = sz(static_cast<long>(max_positions) * c.kv_dim());
  const std::size_t scales = sz(static_cast<long>(max_positions) * c.n_kv_heads);
  k_cache_.assign(layers, std::vector<std::int8_t>(values, 0));
  v_cache_.assign(layers, std::vector<std::int8_t>(values, 0));
  k_scale_.assign(layers, std::vector<float>(scales, 0.0f));
  v_scale_.assign(layers, std::vector<float>(scales, 0.0f));
  q_int8_.resize(sz(c.dim));
  q_scale_.resize(sz(c.n_heads));
  attention_acc_.resize(sz(c.dim));
  attention_norm_.resize(sz(c.n_heads));
  attention_out_.resize(c.dim);
  xb_.resize(c.dim);
  kernels_.preload(weights_, progress);
}

namespace {

const models::QuantizedMatrix& weights_of(const models::QuantizedLayer& l, Matrix m) {
  switch (m) {
    case Matrix::kWq:
      return l.wq;
    case Matrix::kWk:
      return l.wk;
    case Matrix::kWv:
      return l.wv;
    case Matrix::kWo:
      return l.wo;
    case Matrix::kW1:
      return l.w1;
    case Matrix::kW3:
      return l.w3;
    case Matrix::kW2:
      return l.w2;
  }
  throw std::logic_error("int8 model: unknown matrix");
}

}  // namespace

void Int8Model::matmuls(const BlockOp& op, const models::QuantizedLayer& layer,
                        const Eigen::VectorXf& x, std::initializer_list<Eigen::VectorXf*> outputs) {
  if (op.attention || outputs.size() != op.matrices.size()) {
    throw std::logic_error("int8 model: op " + op.name + " does not take " +
                           std::to_string(outputs.size()) + " outputs");
  }
  std::vector<Projection> projections;
  auto out = outputs.begin();
  for (Matrix m : op.matrices) projections.push_back({&weights_of(layer, m), *out++});
  linear(x, projections);
}

void Int8Model::linear(const Eigen::VectorXf& x, const std::vector<Projection>& projections) {
  quantized_.resize(sz(x.size()));
  rotated_ = x;
  x_scale_ =
      models::quantize_matmul_input(rotated_.data(), static_cast<int>(x.size()), quantized_.data());
  std::vector<hls::GemmArgs> calls;
  for (const Projection& p : projections) {
    p.out->resize(p.w->rows);
    hls::GemmArgs g;
    g.a = quantized_.data();
    g.w = p.w->values.data();
    g.m = 1;
    g.n = p.w->rows;
    g.k = p.w->cols;
    g.epilogue = hls::Epilogue::kDequantize;
    g.c_fp32 = p.out->data();
    g.row_scale = &x_scale_;
    g.col_scale = p.w->scales.data();
    calls.push_back(g);
  }
  kernels_.gemms(calls);
}

// Quantizes the key (after RoPE, less the layer's key offset) and the value of
// position pos per kv head into the cache.
void Int8Model::cache_keys_and_values(int layer, int pos) {
  const models::ModelConfig& c = config();
  const int hs = c.head_size();
  k_ -= weights_.key_offsets[sz(layer)];
  for (int h = 0; h < c.n_kv_heads; ++h) {
    const std::size_t row = sz(static_cast<long>(pos) * c.n_kv_heads + h);
    const std::size_t offset = row * sz(hs);
    const std::size_t l = sz(layer);
    k_scale_[l][row] = models::quantize_row(k_.data() + h * hs, hs, k_cache_[l].data() + offset);
    v_scale_[l][row] = models::quantize_row(v_.data() + h * hs, hs, v_cache_[l].data() + offset);
  }
}

void Int8Model::attention(int layer, int pos) {
  const models::ModelConfig& c = config();
  const int hs = c.head_size();
  for (int h = 0; h < c.n_heads; ++h) {
    const float scale = models::quantize_row(q_.data() + h * hs, hs,
                                             q_int8_.data() + sz(static_cast<long>(h) * hs));
    q_scale_[sz(h)] = nx::attention_query_scale(scale, hs);
  }
  hls::AttentionArgs a;
  a.q = q_int8_.data();
  a.q_scale = q_scale_.data();
  a.k = k_cache_[sz(layer)].data();
  a.k_scale = k_scale_[sz(layer)].data();
  a.v = v_cache_[sz(layer)].data();
  a.v_scale = v_scale_[sz(layer)].data();
  a.n_queries = 1;
  a.first_position = pos;
  a.n_heads = c.n_heads;
  a.n_kv_heads = c.n_kv_heads;
  a.head_size = hs;
  a.out = attention_acc_.data();
  a.norm = attention_norm_.data();
  kernels_.attention(a);
  for (int h = 0; h < c.n_heads; ++h) {
    const float scale = nx::attention_output_scale(attention_norm_[sz(h)]);
    for (int i = 0; i < hs; ++i) {
      const long index = static_cast<long>(h) * hs + i;
      attention_out_[index] = nx::dequantize(attention_acc_[sz(index)], scale);
    }
  }
}

const Eigen::VectorXf& Int8Model::forward(int token, int pos) {
  const models::ModelConfig& c = config();
  if (token < 0 || token >= c.vocab_size) {
    throw std::out_of_range("int8 model: token " + std::to_string(token) +
                            " outside the vocabulary [0, " + std::to_string(c.vocab_size) + ")");
  }
  if (pos < 0 || pos >= max_positions_) {
    throw std::out_of_range("int8 model: position " + std::to_string(pos) +
                            " outside the KV cache [0, " + std::to_string(max_positions_) + ")");
  }
  const models::ModelWeights& w = checkpoint_.weights();
  // The device ops in block_ops() order, host glue between them.
  const std::vector<BlockOp>& ops = block_ops();
  x_ = w.token_embedding.row(token).transpose();
  for (int l = 0; l < c.n_layers; ++l) {
    kernels_.begin_layer(l);
    const models::LayerWeights& norms = w.layers[sz(l)];
    const models::QuantizedLayer& lw = weights_.layers[sz(l)];
    models::rmsnorm(xb_, x_, norms.rms_att, c.rms_norm_epsilon);
    host_op_done("rmsnorm", l, xb_);
    matmuls(ops[0], lw, xb_, {&q_, &k_, &v_});
    models::apply_rope(q_, pos, c.head_size(), c.rope_theta);
    host_op_done("rope_q", l, q_);
    models::apply_rope(k_, pos, c.head_size(), c.rope_theta);
    host_op_done("rope_k", l, k_);
    cache_keys_and_values(l, pos);
    attention(l, pos);  // ops[1]
    matmuls(ops[2], lw, attention_out_, {&proj_});
    x_ += proj_;
    host_op_done("residual", l, x_);

    models::rmsnorm(xb_, x_, norms.rms_ffn, c.rms_norm_epsilon);
    host_op_done("rmsnorm", l, xb_);
    matmuls(ops[3], lw, xb_, {&gate_, &up_});
    hidden_.resize(gate_.size());
    models::swiglu(hidden_, gate_, up_);
    host_op_done("swiglu", l, hidden_);
    matmuls(ops[4], lw, hidden_, {&proj_});
    x_ += proj_;
    host_op_done("residual", l, x_);
    if (layer_observer) layer_observer(l, x_);
  }
  kernels_.begin_layer(c.n_layers);
  models::rmsnorm(xb_, x_, w.rms_final, c.rms_norm_epsilon);
  host_op_done("rmsnorm", c.n_layers, xb_);
  linear(xb_, {{&weights_.classifier, &logits_}});
  return logits_;
}

}  // namespace tessera::runtime
