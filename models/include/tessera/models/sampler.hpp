#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace tessera::models {

// llama2.c's xorshift* generator: the same seed gives the same coin flips, so seeded
// runs reproduce llama2.c's sampled text.
class Xorshift {
 public:
  explicit Xorshift(std::uint64_t seed) : state_(seed) {}
  std::uint32_t next_u32();
  float next_f32();  // in [0, 1), 24 random bits
  std::uint64_t state() const { return state_; }

 private:
  std::uint64_t state_;
};

struct SamplerSettings {
  float temperature = 1.0f;  // 0 = greedy
  float top_p = 0.9f;        // nucleus mass; <= 0 or >= 1 samples the full distribution
  std::uint64_t seed = 0;    // must be non-zero: xorshift stays at 0 forever
};

// Picks the next token from logits exactly as llama2.c's sample() does: argmax at
// temperature 0, otherwise softmax(logits / temperature) and one coin flip, through
// top-p when 0 < top_p < 1.
class Sampler {
 public:
  Sampler(int vocab_size, const SamplerSettings& settings);
  int sample(const Eigen::Ref<const Eigen::VectorXf>& logits);

 private:
  struct Candidate {
    float probability;
    int token;
  };
  int sample_full(float coin) const;
  int sample_top_p(float coin);

  int vocab_size_;
  SamplerSettings settings_;
  Xorshift rng_;
  std::vector<float> probabilities_;
  std::vector<Candidate> candidates_;
};

// Index of the first largest value (llama2.c's argmax).
int argmax(const Eigen::Ref<const Eigen::VectorXf>& values);

}  // namespace tessera::models
