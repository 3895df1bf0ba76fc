#include "runtime/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "runtime/device.hpp"
#include "tessera/models/sampler.hpp"
#include "tessera/models/tokenizer.hpp"

namespace tessera::runtime {
namespace {

// A sequence the reference samples, with the reference's logits at each position:
// sampling already ran the teacher-forced reference pass, so it is kept, not redone.
struct SampledSequence {
  std::vector<int> tokens;
  std::vector<Eigen::VectorXf> reference_logits;  // position p predicts tokens[p + 1]
};

SampledSequence sample_sequence(const models::Checkpoint& checkpoint, const EvaluationSettings& s,
                                std::uint64_t seed) {
  auto reference = open_device("reference", checkpoint, s.length);
  models::Sampler sampler(checkpoint.config().vocab_size, {s.temperature, s.top_p, seed});
  SampledSequence out;
  out.tokens.push_back(checkpoint.bos_id());
  for (int pos = 0; pos + 1 < s.length; ++pos) {
    out.reference_logits.push_back(reference->forward(out.tokens.back(), pos));
    out.tokens.push_back(sampler.sample(out.reference_logits.back()));
  }
  return out;
}

std::vector<double> log_softmax(const Eigen::VectorXf& logits) {
  const double top = static_cast<double>(logits.maxCoeff());
  double sum = 0.0;
  for (Eigen::Index i = 0; i < logits.size(); ++i)
    sum += std::exp(static_cast<double>(logits[i]) - top);
  const double log_z = top + std::log(sum);
  std::vector<double> out(static_cast<std::size_t>(logits.size()));
  for (Eigen::Index i = 0; i < logits.size(); ++i) {
    out[static_cast<std::size_t>(i)] = static_cast<double>(logits[i]) - log_z;
  }
  return out;
}

double kl_divergence(const std::vector<double>& log_p, const std::vector<double>& log_q) {
  double kl = 0.0;
  for (std::size_t i = 0; i < log_p.size(); ++i) kl += std::exp(log_p[i]) * (log_p[i] - log_q[i]);
  return std::max(kl, 0.0);
}

}  // namespace

void check_settings(const models::ModelConfig& config, const EvaluationSettings& s) {
  if (s.sequences <= 0) throw std::invalid_argument("eval: --sequences must be positive");
  if (s.length < 2 || s.length > config.seq_len) {
    throw std::invalid_argument(
        "eval: --length must be in [2, seq_len = " + std::to_string(config.seq_len) + "]");
  }
}

EvaluationResult evaluate(const models::Checkpoint& checkpoint, const EvaluationSettings& s) {
  check_settings(checkpoint.config(), s);
  EvaluationResult result;
  std::vector<double> kls;
  double nll_reference = 0.0, nll_device = 0.0;
  int agree = 0;
  PhaseSteps progress(s.progress, "eval", s.sequences);
  for (int n = 0; n < s.sequences; ++n) {
    const SampledSequence sampled =
        sample_sequence(checkpoint, s, static_cast<std::uint64_t>(n) + 1);
    result.sequences.push_back(sampled.tokens);
    const std::vector<int>& tokens = sampled.tokens;
    auto device = open_device(s.device, checkpoint, s.length, s.device_options);
    for (int pos = 0; pos + 1 < s.length; ++pos) {
      const int token = tokens[static_cast<std::size_t>(pos)];
      const int next = tokens[static_cast<std::size_t>(pos) + 1];
      const Eigen::VectorXf& ref_logits = sampled.reference_logits[static_cast<std::size_t>(pos)];
      const Eigen::VectorXf& dev_logits = device->forward(token, pos);
      agree += models::argmax(ref_logits) == models::argmax(dev_logits) ? 1 : 0;
      const auto log_p = log_softmax(ref_logits), log_q = log_softmax(dev_logits);
      kls.push_back(kl_divergence(log_p, log_q));
      nll_reference -= log_p[static_cast<std::size_t>(next)];
      nll_device -= log_q[static_cast<std::size_t>(next)];
    }
    progress.step();
  }
  result.positions = static_cast<int>(kls.size());
  const double count = static_cast<double>(result.positions);
  result.top1_agreement = agree / count;
  double kl_sum = 0.0;
  for (double kl : kls) kl_sum += kl;
  result.kl_mean = kl_sum / count;
  std::sort(kls.begin(), kls.end());
  // Nearest-rank percentile.
  const auto rank = static_cast<std::size_t>(std::ceil(0.99 * count));
  result.kl_p99 = kls[std::min(kls.size(), std::max<std::size_t>(rank, 1)) - 1];
  result.ppl_reference = std::exp(nll_reference / count);
  result.ppl_device = std::exp(nll_device / count);
  return result;
}

}  // namespace tessera::runtime
