// The int8 model path on stories260K: bit-exact across kernel implementations and
// array sizes, and close to the fp32 reference.
#include "runtime/int8_model.hpp"

#include <gtest/gtest.h>

#include "runtime/device.hpp"
#include "runtime/evaluation.hpp"
#include "runtime/hls_kernels.hpp"
#include "support/golden.hpp"
#include "support/int8_reference_kernels.hpp"
#include "support/model_files.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/models/quantized_model.hpp"
#include "tessera/models/reference_model.hpp"
#include "tessera/models/sampler.hpp"
#include "tessera/models/tokenizer.hpp"

namespace tessera::runtime {
namespace {

using testing::real_model_file;

const models::Checkpoint& stories() {
  static const models::Checkpoint checkpoint =
      models::Checkpoint::load(real_model_file("stories260K.bin"));
  return checkpoint;
}

// Whole-model runs: the HLS C models on two arrays, the fast kernels and the
// nested-loop reference produce identical logits at every position.
TEST(Int8Model, HlsKernelsMatchTheInt8ReferenceBitForBit) {
  testing::Int8ReferenceKernels reference_kernels;
  HlsKernels small(hls::ArrayShape{4, 4}), large(hls::ArrayShape{32, 32}), fast(std::nullopt);
  Int8Model by_reference(stories(), 48, reference_kernels);
  Int8Model on_small(stories(), 48, small);
  Int8Model on_large(stories(), 48, large);
  Int8Model on_fast(stories(), 48, fast);
  const auto& ids = testing::stories260k_greedy_ids();
  int token = 1;
  for (int pos = 0; pos < 48; ++pos) {
    const Eigen::VectorXf expected = by_reference.forward(token, pos);
    ASSERT_EQ(on_small.forward(token, pos), expected) << "pos " << pos;
    ASSERT_EQ(on_large.forward(token, pos), expected) << "pos " << pos;
    ASSERT_EQ(on_fast.forward(token, pos), expected) << "pos " << pos;
    token = ids[static_cast<std::size_t>(pos)];
  }
}

// The host-op hook sees every fp32 host op's output, in order, before it is used: a
// value changed there reaches the logits (fault injection in the host glue).
TEST(Int8Model, HostOpHookSeesEveryHostOpBeforeItsUse) {
  HlsKernels fast(std::nullopt);
  Int8Model model(stories(), 8, fast);
  const Eigen::VectorXf clean = model.forward(1, 0);
  std::vector<std::string> ops;
  std::vector<int> layers;
  model.host_op_output = [&](const char* op, int layer, Eigen::VectorXf& output) {
    ops.emplace_back(op);
    layers.push_back(layer);
    EXPECT_GT(output.size(), 0);
  };
  EXPECT_EQ(model.forward(1, 0), clean);  // observing changes nothing
  const int n_layers = stories().config().n_layers;
  ASSERT_EQ(ops.size(), static_cast<std::size_t>(7 * n_layers + 1));
  const std::vector<std::string> block = {"rmsnorm", "rope_q", "rope_k",  "residual",
                                          "rmsnorm", "swiglu", "residual"};
  for (std::size_t i = 0; i + 1 < ops.size(); ++i) {
    EXPECT_EQ(ops[i], block[i % block.size()]) << i;
    EXPECT_EQ(layers[i], static_cast<int>(i / block.size())) << i;
  }
  EXPECT_EQ(ops.back(), "rmsnorm");
  EXPECT_EQ(layers.back(), n_layers);
  // Change the final RMSNorm's output: the classifier sees it.
  model.host_op_output = [&](const char*, int layer, Eigen::VectorXf& output) {
    if (layer == n_layers) output[0] += 100.0f;
  };
  EXPECT_NE(model.forward(1, 0), clean);
}

TEST(Int8Model, GreedyStoryFollowsFp32ForAtLeast44Tokens) {
  auto device = open_device("hls", stories(), 256);
  const auto& golden = testing::stories260k_greedy_ids();
  int token = 1, matching = 0;
  bool diverged = false;
  for (int pos = 0; pos < 256; ++pos) {
    token = models::argmax(device->forward(token, pos));
    if (!diverged && token == golden[static_cast<std::size_t>(pos)]) {
      ++matching;
    } else {
      diverged = true;
    }
  }
  RecordProperty("matching_tokens", matching);
  // llama2.c's own int8 runq.c (W8A8, groups of 8) matches for 44.
  EXPECT_GE(matching, 44);
}

TEST(Int8Model, EvaluationAgainstFp32) {
  EvaluationSettings settings;  // 8 sampled sequences of 129 tokens: 1024 positions
  const EvaluationResult r = evaluate(stories(), settings);
  RecordProperty("top1_agreement", std::to_string(r.top1_agreement));
  RecordProperty("kl_mean", std::to_string(r.kl_mean));
  EXPECT_EQ(r.positions, 1024);
  // Issue #3: top-1 >= 0.985 and KL <= 0.004, with KL <= 0.002 as the goal beyond;
  // measured 0.9873 and 0.00105 (docs/numerics.md, "Quality").
  EXPECT_GE(r.top1_agreement, 0.985);
  EXPECT_LE(r.kl_mean, 0.002);
  EXPECT_NEAR(r.ppl_device / r.ppl_reference, 1.0, 0.01);
}

// Squared int8 round-trip error of the keys per kv head (one scale per head).
double key_rounding_error(const Eigen::VectorXf& keys, int head_size) {
  double error = 0;
  std::vector<std::int8_t> q(static_cast<std::size_t>(head_size));
  for (long h = 0; h < keys.size() / head_size; ++h) {
    const float* key = keys.data() + h * head_size;
    const float scale = models::quantize_row(key, head_size, q.data());
    for (int i = 0; i < head_size; ++i) {
      const double e = static_cast<double>(key[i] - q[static_cast<std::size_t>(i)] * scale);
      error += e * e;
    }
  }
  return error;
}

// The key offsets are there to take the keys' common part out of the int8 cache's
// range: on text the reference samples (not the greedy calibration text), the keys
// less their offset round to int8 with much less error.
TEST(Int8Model, KeyOffsetsShrinkTheKeyCacheRoundingError) {
  const std::vector<Eigen::VectorXf> offsets =
      models::calibrate_key_offsets(stories(), models::kKeyCalibrationPositions);
  models::ReferenceModel reference(stories(), 128);
  models::Sampler sampler(stories().config().vocab_size, {1.0f, 0.9f, 5});
  models::ForwardTrace trace;
  const int head_size = stories().config().head_size();
  double plain = 0, less_offset = 0;
  int token = models::Tokenizer::kBos;
  for (int pos = 0; pos < 128; ++pos) {
    token = sampler.sample(reference.forward(token, pos, &trace));
    for (std::size_t l = 0; l < offsets.size(); ++l) {
      plain += key_rounding_error(trace.layers[l].k_rope, head_size);
      less_offset += key_rounding_error(trace.layers[l].k_rope - offsets[l], head_size);
    }
  }
  RecordProperty("error_ratio", std::to_string(less_offset / plain));
  EXPECT_LT(less_offset, 0.5 * plain);
}

TEST(Int8Model, EvaluationOfTheReferenceAgainstItselfIsExact) {
  EvaluationSettings settings;
  settings.device = "reference";
  settings.sequences = 2;
  settings.length = 40;
  const EvaluationResult r = evaluate(stories(), settings);
  EXPECT_EQ(r.top1_agreement, 1.0);
  EXPECT_EQ(r.kl_mean, 0.0);
  EXPECT_EQ(r.ppl_device, r.ppl_reference);
}

TEST(Int8Model, RejectsBadEvaluationSettingsAndArrays) {
  EvaluationSettings settings;
  settings.length = 1;
  EXPECT_THROW(evaluate(stories(), settings), std::invalid_argument);
  settings.length = 600;
  EXPECT_THROW(evaluate(stories(), settings), std::invalid_argument);
  DeviceOptions bad;
  bad.array = hls::ArrayShape{0, 16};
  EXPECT_THROW(open_device("hls", stories(), 8, bad), std::invalid_argument);
}

}  // namespace
}  // namespace tessera::runtime
