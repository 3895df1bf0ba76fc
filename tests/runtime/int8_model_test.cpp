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
#include "tessera/models/sampler.hpp"

namespace tessera::runtime {
namespace {

using testing::real_model_file;

const models::Checkpoint& stories() {
  static const models::Checkpoint checkpoint =
      models::Checkpoint::load(real_model_file("stories260K.bin"));
  return checkpoint;
}

// Whole-model runs: the HLS kernels on two arrays and the nested-loop reference
// produce identical logits at every position.
TEST(Int8Model, HlsKernelsMatchTheInt8ReferenceBitForBit) {
  testing::Int8ReferenceKernels reference_kernels;
  HlsKernels small({4, 4}), large({32, 32});
  Int8Model by_reference(stories(), 48, reference_kernels);
  Int8Model on_small(stories(), 48, small);
  Int8Model on_large(stories(), 48, large);
  const auto& ids = testing::stories260k_greedy_ids();
  int token = 1;
  for (int pos = 0; pos < 48; ++pos) {
    const Eigen::VectorXf expected = by_reference.forward(token, pos);
    ASSERT_EQ(on_small.forward(token, pos), expected) << "pos " << pos;
    ASSERT_EQ(on_large.forward(token, pos), expected) << "pos " << pos;
    token = ids[static_cast<std::size_t>(pos)];
  }
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
  EXPECT_LE(r.kl_mean, 0.004);
  // A regression floor below the measured 0.980, not issue #3's 0.985 target (see
  // docs/numerics.md, "Quality").
  EXPECT_GE(r.top1_agreement, 0.975);
  EXPECT_NEAR(r.ppl_device / r.ppl_reference, 1.0, 0.01);
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
  bad.array = {0, 16};
  EXPECT_THROW(open_device("hls", stories(), 8, bad), std::invalid_argument);
}

}  // namespace
}  // namespace tessera::runtime
