// The real stories260K files: loader, tokenizer and reference against llama2.c's
// published behaviour. A missing model file fails these tests with a message saying
// where to get it.
#include <gtest/gtest.h>

#include "support/golden.hpp"
#include "support/model_files.hpp"
#include "support/naive_llama.hpp"
#include "tessera/models/reference_model.hpp"
#include "tessera/models/sampler.hpp"
#include "tessera/models/tokenizer.hpp"

namespace tessera::models {
namespace {

using testing::real_model_file;

TEST(Stories260k, HeaderMatchesThePublishedHyperparameters) {
  const Checkpoint ckpt = Checkpoint::load(real_model_file("stories260K.bin"));
  const ModelConfig& c = ckpt.config();
  EXPECT_EQ(ckpt.format(), CheckpointFormat::kLegacyFp32);
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.seq_len, 512);
  EXPECT_TRUE(c.shared_classifier);
  EXPECT_EQ(ckpt.weights().classifier.data(), ckpt.weights().token_embedding.data());
}

TEST(Stories260k, Int8ExportDequantizesToTheFp32Weights) {
  const Checkpoint fp32 = Checkpoint::load(real_model_file("stories260K.bin"));
  const Checkpoint q8 = Checkpoint::load(real_model_file("stories260K-q8.bin"));
  EXPECT_EQ(q8.format(), CheckpointFormat::kVersion2Int8);
  EXPECT_EQ(q8.config().dim, fp32.config().dim);
  EXPECT_EQ(q8.config().n_kv_heads, fp32.config().n_kv_heads);
  EXPECT_EQ(q8.weights().layers[4].rms_ffn, fp32.weights().layers[4].rms_ffn);
  // Group size 8: every weight within half a step (max|w| / 127 / 2) of fp32.
  const RowMajorMatrixXf a = q8.weights().layers[2].w1, b = fp32.weights().layers[2].w1;
  const float worst_step = b.cwiseAbs().maxCoeff() / 127.0f;
  EXPECT_LE((a - b).cwiseAbs().maxCoeff(), 0.5f * worst_step);
}

class Stories260kTokenizer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tokenizer_ = new Tokenizer(Tokenizer::load(real_model_file("tok512.bin"), 512));
  }
  static void TearDownTestSuite() { delete tokenizer_; }
  static std::string decode_all(const std::vector<int>& ids) {
    std::string text;
    for (std::size_t i = 1; i < ids.size(); ++i) text += tokenizer_->decode(ids[i - 1], ids[i]);
    return text;
  }
  static Tokenizer* tokenizer_;
};
Tokenizer* Stories260kTokenizer::tokenizer_ = nullptr;

TEST_F(Stories260kTokenizer, SpecialAndByteTokens) {
  EXPECT_EQ(tokenizer_->piece(Tokenizer::kBos), "\n<s>\n");
  EXPECT_EQ(tokenizer_->piece(Tokenizer::kEos), "\n</s>\n");
  EXPECT_EQ(tokenizer_->piece(3), "<0x00>");
  EXPECT_EQ(tokenizer_->decode(400, 13), "\n");  // <0x0A>
  EXPECT_EQ(tokenizer_->decode(400, 3 + 'A'), "A");
  EXPECT_EQ(tokenizer_->decode(400, 3), "");  // <0x00> is an empty C string in llama2.c
}

TEST_F(Stories260kTokenizer, EncodesLikeLlama2c) {
  // "Once upon a time" starts every greedy story: the prompt encodes to those ids.
  EXPECT_EQ(tokenizer_->encode("Once upon a time", true, false),
            (std::vector<int>{1, 403, 407, 261, 378}));
  EXPECT_EQ(tokenizer_->encode("", true, false), (std::vector<int>{1}));
  EXPECT_EQ(tokenizer_->encode("", true, true), (std::vector<int>{1, 2}));
  EXPECT_EQ(tokenizer_->encode("", false, false), (std::vector<int>{}));
  const auto framed = tokenizer_->encode("Lily", true, true);
  EXPECT_EQ(framed.front(), 1);
  EXPECT_EQ(framed.back(), 2);
}

TEST_F(Stories260kTokenizer, RoundTripsTextIncludingByteFallback) {
  for (const std::string text :
       {"Once upon a time, there was a little girl named Lily.", "Tom said, \"Hi!\"\nBye.",
        "héllo 世界 🙂", "  two leading spaces", "tabs\tand\x01control", "x"}) {
    const auto ids = tokenizer_->encode(text, true, false);
    EXPECT_EQ(decode_all(ids), text) << text;
  }
}

TEST_F(Stories260kTokenizer, MergesReduceTokenCount) {
  const auto ids = tokenizer_->encode("the the the", false, false);
  EXPECT_LT(ids.size(), std::string(" the the the").size());
  for (int id : ids) EXPECT_GE(id, 259) << "every piece here has a merge";
}

TEST_F(Stories260kTokenizer, SafeWriteDropsControlBytesOnly) {
  std::ostringstream out;
  Tokenizer::write_safe(out, "\x01");
  Tokenizer::write_safe(out, "\x7f");
  Tokenizer::write_safe(out, "");
  Tokenizer::write_safe(out, "\n");
  Tokenizer::write_safe(out, "ab\x01");  // multi-byte pieces are printed as they are
  EXPECT_EQ(out.str(), "\nab\x01");
}

TEST(Stories260kReference, GreedyDecodeMatchesLlama2c) {
  const Checkpoint ckpt = Checkpoint::load(real_model_file("stories260K.bin"));
  const auto& expected = testing::stories260k_greedy_ids();
  ReferenceModel model(ckpt, static_cast<int>(expected.size()));
  int token = Tokenizer::kBos;
  std::vector<int> generated;
  for (int pos = 0; pos < static_cast<int>(expected.size()); ++pos) {
    token = argmax(model.forward(token, pos));
    generated.push_back(token);
  }
  EXPECT_EQ(generated, expected);
}

TEST(Stories260kReference, AgreesWithTheNaiveLoops) {
  const auto path = real_model_file("stories260K.bin");
  ReferenceModel model(Checkpoint::load(path), 32);
  testing::NaiveLlama naive(path);
  const auto& ids = testing::stories260k_greedy_ids();
  int token = Tokenizer::kBos;
  for (int pos = 0; pos < 32; ++pos) {
    const Eigen::VectorXf& got = model.forward(token, pos);
    const std::vector<float>& want = naive.forward(token, pos);
    for (int i = 0; i < 512; ++i) {
      ASSERT_NEAR(got[i], want[static_cast<std::size_t>(i)],
                  1e-4f * std::max(1.0f, std::fabs(want[static_cast<std::size_t>(i)])))
          << "pos " << pos << " logit " << i;
    }
    token = ids[static_cast<std::size_t>(pos)];
  }
}

}  // namespace
}  // namespace tessera::models
