// The Eigen reference against an independent scalar implementation, on synthetic
// models of shapes stories260K does not cover.
#include "tessera/models/reference_model.hpp"

#include <gtest/gtest.h>

#include "support/model_files.hpp"
#include "support/naive_llama.hpp"
#include "support/synthetic_model.hpp"

namespace tessera::models {
namespace {

struct Shape {
  const char* name;
  int n_heads;
  int n_kv_heads;
  bool shared;
};

class ReferenceVsNaive : public ::testing::TestWithParam<Shape> {
 protected:
  void SetUp() override {
    const Shape& shape = GetParam();
    const ModelConfig c =
        testing::model_config(32, 72, 3, shape.n_heads, shape.n_kv_heads, 40, 24, shape.shared);
    testing::write_legacy(testing::make_synthetic_model(c, 21), path_);
  }
  testing::TempDir dir_{"reference"};
  std::filesystem::path path_ = dir_ / "model.bin";
};

void expect_close(const Eigen::VectorXf& got, const std::vector<float>& want, const char* what,
                  int pos) {
  ASSERT_EQ(static_cast<std::size_t>(got.size()), want.size()) << what;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const float tolerance = 1e-4f * std::max(1.0f, std::fabs(want[i]));
    ASSERT_NEAR(got[static_cast<Eigen::Index>(i)], want[i], tolerance)
        << what << " at pos " << pos << ", index " << i;
  }
}

TEST_P(ReferenceVsNaive, LogitsAndAttentionAgreeAtEveryPosition) {
  ReferenceModel reference(Checkpoint::load(path_), 24);
  testing::NaiveLlama naive(path_);
  ForwardTrace trace;
  for (int pos = 0; pos < 24; ++pos) {
    const int token = (pos * 7 + 3) % 40;
    const Eigen::VectorXf& logits = reference.forward(token, pos, &trace);
    const std::vector<float>& expected = naive.forward(token, pos);
    expect_close(logits, expected, "logits", pos);
    for (int l = 0; l < 3; ++l) {
      const LayerTrace& lt = trace.layers[static_cast<std::size_t>(l)];
      expect_close(lt.q_rope, naive.last_attention_input(l), "rotated query", pos);
      expect_close(lt.attention, naive.last_attention_output(l), "attention output", pos);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(GroupedQueryShapes, ReferenceVsNaive,
                         ::testing::Values(Shape{"multi_head", 4, 4, true},
                                           Shape{"grouped_by_2", 4, 2, true},
                                           Shape{"multi_query", 4, 1, false},
                                           Shape{"eight_heads_grouped_by_4", 8, 2, false}),
                         [](const auto& test_info) { return std::string(test_info.param.name); });

class ReferenceModelApi : public ::testing::Test {
 protected:
  void SetUp() override {
    const ModelConfig c = testing::model_config(16, 32, 2, 2, 1, 20, 8);
    testing::write_legacy(testing::make_synthetic_model(c, 2), dir_ / "m.bin");
  }
  testing::TempDir dir_{"reference-api"};
};

TEST_F(ReferenceModelApi, TraceHoldsConsistentIntermediates) {
  ReferenceModel model(Checkpoint::load(dir_ / "m.bin"), 8);
  const LayerWeights& l0 = model.checkpoint().weights().layers[0];
  ForwardTrace trace;
  model.forward(5, 0, &trace);
  const Eigen::VectorXf& logits = model.forward(6, 1, &trace);
  ASSERT_EQ(trace.layers.size(), 2u);
  EXPECT_EQ(trace.token, 6);
  EXPECT_EQ(trace.pos, 1);
  EXPECT_EQ(trace.logits, logits);
  const LayerTrace& t = trace.layers[0];
  // Each recorded matmul output is its weight times its recorded input.
  EXPECT_TRUE(t.q.isApprox(l0.wq * t.attn_norm, 1e-5f));
  EXPECT_TRUE(t.v.isApprox(l0.wv * t.attn_norm, 1e-5f));
  EXPECT_TRUE(t.attn_proj.isApprox(l0.wo * t.attention, 1e-5f));
  EXPECT_TRUE(t.gate.isApprox(l0.w1 * t.ffn_norm, 1e-5f));
  EXPECT_TRUE(t.ffn_out.isApprox(l0.w2 * t.ffn_hidden, 1e-5f));
  EXPECT_TRUE(t.output.isApprox(t.input + t.attn_proj + t.ffn_out, 1e-5f));
  EXPECT_EQ(trace.layers[1].input, t.output);
}

TEST_F(ReferenceModelApi, RejectsOutOfRangeTokensPositionsAndCacheSizes) {
  const Checkpoint ckpt = Checkpoint::load(dir_ / "m.bin");
  EXPECT_THROW(ReferenceModel(ckpt, 0), std::invalid_argument);
  EXPECT_THROW(ReferenceModel(ckpt, 9), std::invalid_argument);
  ReferenceModel model(ckpt, 4);
  EXPECT_THROW(model.forward(-1, 0), std::out_of_range);
  EXPECT_THROW(model.forward(20, 0), std::out_of_range);
  EXPECT_THROW(model.forward(1, 4), std::out_of_range);
  EXPECT_THROW(model.forward(1, -1), std::out_of_range);
  EXPECT_NO_THROW(model.forward(19, 3));
}

TEST(ReferenceModelMemory, RefusesAKvCacheLargerThanMemory) {
  // A version 2 header can claim any seq_len: no data backs it.
  testing::TempDir dir("reference-memory");
  ModelConfig c = testing::model_config(64, 8, 8, 2, 2, 8, 1 << 30);
  testing::write_version2(testing::make_synthetic_model(c, 1), dir / "v2.bin", 8);
  const Checkpoint ckpt = Checkpoint::load(dir / "v2.bin");
  try {
    ReferenceModel model(ckpt, ckpt.config().seq_len);
    FAIL() << "allocated a KV cache of 2^30 positions";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("run fewer steps"), std::string::npos);
  }
  EXPECT_NO_THROW(ReferenceModel(ckpt, 16));
}

}  // namespace
}  // namespace tessera::models
