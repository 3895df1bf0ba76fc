// The three llama2.c encodings load to the same model.
#include <gtest/gtest.h>

#include "support/model_files.hpp"
#include "support/synthetic_model.hpp"
#include "tessera/models/checkpoint.hpp"

namespace tessera::models {
namespace {

ModelConfig config_with(bool shared) {
  return testing::model_config(16, 40, 3, 4, 1, 24, 10, shared);
}

Eigen::VectorXf flat(const std::vector<float>& v) {
  return Eigen::Map<const Eigen::VectorXf>(v.data(), static_cast<Eigen::Index>(v.size()));
}

template <typename View>
Eigen::VectorXf flat(const View& m) {
  RowMajorMatrixXf copy = m;
  return Eigen::Map<const Eigen::VectorXf>(copy.data(), copy.size());
}

class CheckpointFormats : public ::testing::TestWithParam<bool> {
 protected:
  testing::TempDir dir_{"formats"};
};

void expect_config(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(a.dim, b.dim);
  EXPECT_EQ(a.hidden_dim, b.hidden_dim);
  EXPECT_EQ(a.n_layers, b.n_layers);
  EXPECT_EQ(a.n_heads, b.n_heads);
  EXPECT_EQ(a.n_kv_heads, b.n_kv_heads);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.seq_len, b.seq_len);
  EXPECT_EQ(a.shared_classifier, b.shared_classifier);
}

TEST_P(CheckpointFormats, LegacyAndVersion1HoldTheWrittenWeights) {
  const auto model = testing::make_synthetic_model(config_with(GetParam()), 11);
  testing::write_legacy(model, dir_ / "legacy.bin");
  testing::write_version1(model, dir_ / "v1.bin");
  for (const char* name : {"legacy.bin", "v1.bin"}) {
    SCOPED_TRACE(name);
    const Checkpoint ckpt = Checkpoint::load(dir_ / name);
    expect_config(ckpt.config(), model.config);
    const ModelWeights& w = ckpt.weights();
    EXPECT_EQ(flat(w.token_embedding), flat(model.embedding));
    EXPECT_EQ(flat(w.rms_final), flat(model.rms_final));
    EXPECT_EQ(flat(w.classifier), flat(GetParam() ? model.embedding : model.classifier));
    const Eigen::Index per_layer_q = 16 * 16, per_layer_kv = 4 * 16, per_layer_ffn = 40 * 16;
    for (Eigen::Index l = 0; l < 3; ++l) {
      const LayerWeights& lw = w.layers[static_cast<std::size_t>(l)];
      EXPECT_EQ(flat(lw.wq), flat(model.wq).segment(l * per_layer_q, per_layer_q));
      EXPECT_EQ(flat(lw.wk), flat(model.wk).segment(l * per_layer_kv, per_layer_kv));
      EXPECT_EQ(flat(lw.wv), flat(model.wv).segment(l * per_layer_kv, per_layer_kv));
      EXPECT_EQ(flat(lw.wo), flat(model.wo).segment(l * per_layer_q, per_layer_q));
      EXPECT_EQ(flat(lw.w1), flat(model.w1).segment(l * per_layer_ffn, per_layer_ffn));
      EXPECT_EQ(flat(lw.w2), flat(model.w2).segment(l * per_layer_ffn, per_layer_ffn));
      EXPECT_EQ(flat(lw.w3), flat(model.w3).segment(l * per_layer_ffn, per_layer_ffn));
      EXPECT_EQ(flat(lw.rms_att), flat(model.rms_att).segment(l * 16, 16));
      EXPECT_EQ(flat(lw.rms_ffn), flat(model.rms_ffn).segment(l * 16, 16));
    }
  }
}

TEST_P(CheckpointFormats, Version2DequantizesWithinHalfAStep) {
  const auto model = testing::make_synthetic_model(config_with(GetParam()), 5);
  testing::write_version2(model, dir_ / "v2.bin", 8);
  const Checkpoint ckpt = Checkpoint::load(dir_ / "v2.bin");
  EXPECT_EQ(ckpt.format(), CheckpointFormat::kVersion2Int8);
  expect_config(ckpt.config(), model.config);
  // Norm weights stay fp32 and must be exact.
  EXPECT_EQ(flat(ckpt.weights().rms_final), flat(model.rms_final));
  const auto check = [](const Eigen::VectorXf& got, const Eigen::VectorXf& want) {
    for (Eigen::Index g = 0; g < want.size() / 8; ++g) {
      const float step = want.segment(g * 8, 8).cwiseAbs().maxCoeff() / 127.0f;
      const float error = (got.segment(g * 8, 8) - want.segment(g * 8, 8)).cwiseAbs().maxCoeff();
      ASSERT_LE(error, 0.5f * step * 1.0001f) << "group " << g;
    }
  };
  check(flat(ckpt.weights().token_embedding), flat(model.embedding));
  check(flat(ckpt.weights().layers[2].w2), flat(model.w2).segment(2 * 640, 640));
  check(flat(ckpt.weights().classifier), flat(GetParam() ? model.embedding : model.classifier));
}

INSTANTIATE_TEST_SUITE_P(SharedAndSeparateClassifier, CheckpointFormats, ::testing::Bool(),
                         [](const auto& test_info) {
                           return test_info.param ? "shared" : "separate";
                         });

}  // namespace
}  // namespace tessera::models
