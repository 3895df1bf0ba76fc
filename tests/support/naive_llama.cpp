#include "support/naive_llama.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace tessera::testing {
namespace {

void rmsnorm(std::vector<float>& out, const std::vector<float>& x, const float* weight) {
  float ss = 0.0f;
  for (float v : x) ss += v * v;
  ss /= static_cast<float>(x.size());
  ss += 1e-5f;
  ss = 1.0f / std::sqrt(ss);
  for (std::size_t j = 0; j < x.size(); ++j) out[j] = weight[j] * (ss * x[j]);
}

void softmax(float* x, int n) {
  float max_value = x[0];
  for (int i = 1; i < n; ++i) max_value = x[i] > max_value ? x[i] : max_value;
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max_value);
    sum += x[i];
  }
  for (int i = 0; i < n; ++i) x[i] /= sum;
}

std::size_t sz(long long v) { return static_cast<std::size_t>(v); }

}  // namespace

NaiveLlama::NaiveLlama(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::int32_t header[7];
  if (!in.read(reinterpret_cast<char*>(header), sizeof header)) {
    throw std::runtime_error("naive llama: cannot read " + path.string());
  }
  dim_ = header[0];
  hidden_ = header[1];
  layers_ = header[2];
  heads_ = header[3];
  kv_heads_ = header[4];
  vocab_ = std::abs(header[5]);
  shared_ = header[5] > 0;
  seq_len_ = header[6];
  const auto bytes = std::filesystem::file_size(path) - sizeof header;
  data_.resize(bytes / sizeof(float));
  in.read(reinterpret_cast<char*>(data_.data()), static_cast<std::streamsize>(bytes));

  const long long head = dim_ / heads_, kv_dim = head * kv_heads_, L = layers_;
  const float* p = data_.data();
  emb_ = p;
  p += sz(vocab_) * sz(dim_);
  rms_att_ = p;
  p += sz(L * dim_);
  wq_ = p;
  p += sz(L * dim_ * dim_);
  wk_ = p;
  p += sz(L * dim_ * kv_dim);
  wv_ = p;
  p += sz(L * dim_ * kv_dim);
  wo_ = p;
  p += sz(L * dim_ * dim_);
  rms_ffn_ = p;
  p += sz(L * dim_);
  w1_ = p;
  p += sz(L * dim_ * hidden_);
  w2_ = p;
  p += sz(L * dim_ * hidden_);
  w3_ = p;
  p += sz(L * dim_ * hidden_);
  rms_final_ = p;
  p += sz(dim_);
  p += sz(seq_len_ * head / 2) * 2;
  wcls_ = shared_ ? emb_ : p;

  key_cache_.assign(sz(L * seq_len_ * kv_dim), 0.0f);
  value_cache_.assign(key_cache_.size(), 0.0f);
  logits_.assign(sz(vocab_), 0.0f);
  q_rope_.assign(sz(L), {});
  att_out_.assign(sz(L), {});
}

void NaiveLlama::matmul(std::vector<float>& out, const std::vector<float>& x, const float* w, int n,
                        int d) {
  out.assign(sz(d), 0.0f);
  for (int i = 0; i < d; ++i) {
    float acc = 0.0f;
    for (int j = 0; j < n; ++j) acc += w[sz(i) * sz(n) + sz(j)] * x[sz(j)];
    out[sz(i)] = acc;
  }
}

const std::vector<float>& NaiveLlama::forward(int token, int pos) {
  const int head = dim_ / heads_, kv_dim = head * kv_heads_, group = heads_ / kv_heads_;
  std::vector<float> x(emb_ + sz(token) * sz(dim_), emb_ + sz(token + 1) * sz(dim_));
  std::vector<float> xb(sz(dim_)), q, k, v, out, h1, h3, att(sz(seq_len_));
  for (int l = 0; l < layers_; ++l) {
    rmsnorm(xb, x, rms_att_ + sz(l) * sz(dim_));
    matmul(q, xb, wq_ + sz(l) * sz(dim_) * sz(dim_), dim_, dim_);
    matmul(k, xb, wk_ + sz(l) * sz(dim_) * sz(kv_dim), dim_, kv_dim);
    matmul(v, xb, wv_ + sz(l) * sz(dim_) * sz(kv_dim), dim_, kv_dim);
    for (int i = 0; i < dim_; i += 2) {
      const float freq =
          1.0f / std::pow(10000.0f, static_cast<float>(i % head) / static_cast<float>(head));
      const float angle = static_cast<float>(pos) * freq;
      const float c = std::cos(angle), s = std::sin(angle);
      for (std::vector<float>* vec : {&q, &k}) {
        if (vec == &k && i >= kv_dim) continue;
        const float a = (*vec)[sz(i)], b = (*vec)[sz(i + 1)];
        (*vec)[sz(i)] = a * c - b * s;
        (*vec)[sz(i + 1)] = a * s + b * c;
      }
    }
    q_rope_[sz(l)] = q;
    const std::size_t layer_base = sz(l) * sz(seq_len_) * sz(kv_dim);
    std::memcpy(&key_cache_[layer_base + sz(pos) * sz(kv_dim)], k.data(), sz(kv_dim) * 4);
    std::memcpy(&value_cache_[layer_base + sz(pos) * sz(kv_dim)], v.data(), sz(kv_dim) * 4);
    std::vector<float> attended(sz(dim_), 0.0f);
    for (int h = 0; h < heads_; ++h) {
      const std::size_t kv_offset = sz(h / group) * sz(head);
      for (int t = 0; t <= pos; ++t) {
        const float* key = &key_cache_[layer_base + sz(t) * sz(kv_dim) + kv_offset];
        float score = 0.0f;
        for (int i = 0; i < head; ++i) score += q[sz(h * head + i)] * key[i];
        att[sz(t)] = score / std::sqrt(static_cast<float>(head));
      }
      softmax(att.data(), pos + 1);
      for (int t = 0; t <= pos; ++t) {
        const float* value = &value_cache_[layer_base + sz(t) * sz(kv_dim) + kv_offset];
        for (int i = 0; i < head; ++i) attended[sz(h * head + i)] += att[sz(t)] * value[i];
      }
    }
    att_out_[sz(l)] = attended;
    matmul(out, attended, wo_ + sz(l) * sz(dim_) * sz(dim_), dim_, dim_);
    for (int i = 0; i < dim_; ++i) x[sz(i)] += out[sz(i)];
    rmsnorm(xb, x, rms_ffn_ + sz(l) * sz(dim_));
    matmul(h1, xb, w1_ + sz(l) * sz(dim_) * sz(hidden_), dim_, hidden_);
    matmul(h3, xb, w3_ + sz(l) * sz(dim_) * sz(hidden_), dim_, hidden_);
    for (int i = 0; i < hidden_; ++i) {
      const float g = h1[sz(i)];
      h1[sz(i)] = g * (1.0f / (1.0f + std::exp(-g))) * h3[sz(i)];
    }
    matmul(out, h1, w2_ + sz(l) * sz(dim_) * sz(hidden_), hidden_, dim_);
    for (int i = 0; i < dim_; ++i) x[sz(i)] += out[sz(i)];
  }
  rmsnorm(x, x, rms_final_);
  matmul(logits_, x, wcls_, dim_, vocab_);
  return logits_;
}

}  // namespace tessera::testing
