#include "tessera/models/sampler.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "tessera/models/ops.hpp"

namespace tessera::models {

std::uint32_t Xorshift::next_u32() {
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return static_cast<std::uint32_t>((state_ * 0x2545F4914F6CDD1Dull) >> 32);
}

float Xorshift::next_f32() { return static_cast<float>(next_u32() >> 8) / 16777216.0f; }

int argmax(const Eigen::Ref<const Eigen::VectorXf>& values) {
  Eigen::Index best = 0;
  for (Eigen::Index i = 1; i < values.size(); ++i) {
    if (values[i] > values[best]) best = i;
  }
  return static_cast<int>(best);
}

Sampler::Sampler(int vocab_size, const SamplerSettings& settings)
    : vocab_size_(vocab_size), settings_(settings), rng_(settings.seed) {
  if (vocab_size <= 0) throw std::invalid_argument("sampler: vocabulary size must be positive");
  if (!(settings.temperature >= 0.0f)) {
    throw std::invalid_argument("sampler: temperature must be >= 0, got " +
                                std::to_string(settings.temperature));
  }
  if (!(settings.top_p >= 0.0f && settings.top_p <= 1.0f)) {
    throw std::invalid_argument("sampler: top-p must be in [0, 1], got " +
                                std::to_string(settings.top_p));
  }
  if (settings.seed == 0) throw std::invalid_argument("sampler: seed must be non-zero");
  probabilities_.resize(static_cast<std::size_t>(vocab_size));
  candidates_.reserve(static_cast<std::size_t>(vocab_size));
}

int Sampler::sample(const Eigen::Ref<const Eigen::VectorXf>& logits) {
  if (logits.size() != vocab_size_) {
    throw std::invalid_argument("sampler: got " + std::to_string(logits.size()) +
                                " logits for a vocabulary of " + std::to_string(vocab_size_));
  }
  if (settings_.temperature == 0.0f) return argmax(logits);
  for (int i = 0; i < vocab_size_; ++i) {
    probabilities_[static_cast<std::size_t>(i)] = logits[i] / settings_.temperature;
  }
  softmax_in_place(probabilities_.data(), vocab_size_);
  const float coin = rng_.next_f32();
  if (settings_.top_p <= 0.0f || settings_.top_p >= 1.0f) return sample_full(coin);
  return sample_top_p(coin);
}

int Sampler::sample_full(float coin) const {
  float cdf = 0.0f;
  for (int i = 0; i < vocab_size_; ++i) {
    cdf += probabilities_[static_cast<std::size_t>(i)];
    if (coin < cdf) return i;
  }
  return vocab_size_ - 1;  // the cdf fell short of the coin by rounding
}

int Sampler::sample_top_p(float coin) {
  if (vocab_size_ == 1) return 0;
  // Tokens below (1 - top_p) / (n - 1) can never be in the nucleus; drop them before
  // sorting, as llama2.c does.
  const float cutoff = (1.0f - settings_.top_p) / static_cast<float>(vocab_size_ - 1);
  candidates_.clear();
  for (int i = 0; i < vocab_size_; ++i) {
    const float p = probabilities_[static_cast<std::size_t>(i)];
    if (p >= cutoff) candidates_.push_back({p, i});
  }
  // Nothing reaches the cutoff only for a top-p so small that the nucleus is the
  // single most likely token (llama2.c reads out of bounds here).
  if (candidates_.empty()) {
    return argmax(Eigen::Map<const Eigen::VectorXf>(probabilities_.data(), vocab_size_));
  }
  // Stable, so equal probabilities keep token order: the result glibc's merge-sort
  // qsort gives llama2.c, and the same on every platform.
  std::stable_sort(
      candidates_.begin(), candidates_.end(),
      [](const Candidate& a, const Candidate& b) { return a.probability > b.probability; });
  std::size_t last = candidates_.size() - 1;
  float cumulative = 0.0f;
  for (std::size_t i = 0; i < candidates_.size(); ++i) {
    cumulative += candidates_[i].probability;
    if (cumulative > settings_.top_p) {
      last = i;
      break;
    }
  }
  const float target = coin * cumulative;
  float cdf = 0.0f;
  for (std::size_t i = 0; i <= last; ++i) {
    cdf += candidates_[i].probability;
    if (target < cdf) return candidates_[i].token;
  }
  return candidates_[last].token;
}

}  // namespace tessera::models
