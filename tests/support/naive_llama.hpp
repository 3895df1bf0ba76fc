#pragma once

#include <filesystem>
#include <vector>

namespace tessera::testing {

// An independent, deliberately plain Llama forward pass: its own reader for the
// llama2.c legacy format and scalar loops in llama2.c's order of operations. Tests
// check the Eigen reference against it, and the benchmark uses it as the run.c-style
// baseline.
class NaiveLlama {
 public:
  explicit NaiveLlama(const std::filesystem::path& legacy_checkpoint);
  const std::vector<float>& forward(int token, int pos);
  int vocab_size() const { return vocab_; }
  int seq_len() const { return seq_len_; }

  // Intermediates of the last call, for per-layer checks.
  const std::vector<float>& last_attention_input(int layer) const {
    return q_rope_.at(static_cast<std::size_t>(layer));
  }
  const std::vector<float>& last_attention_output(int layer) const {
    return att_out_.at(static_cast<std::size_t>(layer));
  }

 private:
  void matmul(std::vector<float>& out, const std::vector<float>& x, const float* w, int n, int d);

  int dim_ = 0, hidden_ = 0, layers_ = 0, heads_ = 0, kv_heads_ = 0, vocab_ = 0, seq_len_ = 0;
  bool shared_ = true;
  std::vector<float> data_;  // every float after the header
  const float *emb_ = nullptr, *rms_att_ = nullptr, *wq_ = nullptr, *wk_ = nullptr, *wv_ = nullptr,
              *wo_ = nullptr, *rms_ffn_ = nullptr, *w1_ = nullptr, *w2_ = nullptr, *w3_ = nullptr,
              *rms_final_ = nullptr, *wcls_ = nullptr;
  std::vector<float> key_cache_, value_cache_, logits_;
  std::vector<std::vector<float>> q_rope_, att_out_;
};

}  // namespace tessera::testing
