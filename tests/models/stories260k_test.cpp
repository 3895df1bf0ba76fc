// The real stories260K files: loader, tokenizer and reference against llama2.c's
// published behaviour. A missing model file fails these tests with a message saying
// where to get it.
#include <gtest/gtest.h>

#include "support/golden.hpp"
#include "support/model_files.hpp"
#include "support/naive_llama.hpp"
#include "tessera/models/model_paths.hpp"
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

// llama.cpp's conversion of the same model (models README: its tensors are the .bin's
// bytes, its vocabulary tok512's): the GGUF loader must give the same weights,
// tokenizer behaviour and logits, whatever the converter's conventions.
TEST(Stories260kGguf, SameModelAsTheLlama2cFile) {
  const Checkpoint bin = Checkpoint::load(real_model_file("stories260K.bin"));
  const Checkpoint gguf = Checkpoint::load(real_model_file("stories260K.gguf"));
  EXPECT_EQ(gguf.format(), CheckpointFormat::kGguf);
  const ModelConfig &a = gguf.config(), &b = bin.config();
  EXPECT_EQ(std::tie(a.dim, a.hidden_dim, a.n_layers, a.n_heads, a.n_kv_heads, a.vocab_size),
            std::tie(b.dim, b.hidden_dim, b.n_layers, b.n_heads, b.n_kv_heads, b.vocab_size));
  EXPECT_EQ(a.seq_len, 2048);  // llama.cpp's converter default, not the trained 512
  EXPECT_EQ(a.rms_norm_epsilon, b.rms_norm_epsilon);
  EXPECT_EQ(a.rope_theta, b.rope_theta);
  const ModelWeights &g = gguf.weights(), &l = bin.weights();
  EXPECT_EQ(g.token_embedding, l.token_embedding);
  EXPECT_EQ(g.classifier, l.classifier);  // output.weight, an explicit copy
  EXPECT_EQ(g.rms_final, l.rms_final);
  for (std::size_t i = 0; i < l.layers.size(); ++i) {
    const LayerWeights &x = g.layers[i], &y = l.layers[i];
    EXPECT_EQ(x.wq, y.wq) << i;  // rows as stored: both rotate adjacent pairs
    EXPECT_EQ(x.wk, y.wk) << i;
    EXPECT_EQ(x.wv, y.wv) << i;
    EXPECT_EQ(x.wo, y.wo) << i;
    EXPECT_EQ(x.w1, y.w1) << i;
    EXPECT_EQ(x.w2, y.w2) << i;
    EXPECT_EQ(x.w3, y.w3) << i;
    EXPECT_EQ(x.rms_att, y.rms_att) << i;
    EXPECT_EQ(x.rms_ffn, y.rms_ffn) << i;
  }
  ReferenceModel from_gguf(gguf, 32), from_bin(bin, 32);
  const auto& ids = testing::stories260k_greedy_ids();
  int token = Tokenizer::kBos;
  for (int pos = 0; pos < 32; ++pos) {
    const Eigen::VectorXf logits = from_gguf.forward(token, pos);
    ASSERT_EQ(logits, from_bin.forward(token, pos)) << "pos " << pos;
    token = ids[static_cast<std::size_t>(pos)];
  }
}

TEST(Stories260kGguf, EmbeddedTokenizerActsAsTok512) {
  const Checkpoint gguf = Checkpoint::load(real_model_file("stories260K.gguf"));
  const Tokenizer embedded = tokenizer_for(gguf, std::nullopt);
  const Tokenizer file = Tokenizer::load(real_model_file("tok512.bin"), 512);
  EXPECT_EQ(embedded.bos_id(), 1);
  EXPECT_EQ(embedded.eos_id(), 2);
  EXPECT_EQ(embedded.byte_tokens(), 256);
  for (int id = 0; id < 512; ++id) {
    EXPECT_EQ(embedded.score(id), file.score(id)) << id;
    if (id != 1 && id != 2) {  // GGUF's "<s>", "</s>"; llama2.c's "\n<s>\n", "\n</s>\n"
      EXPECT_EQ(embedded.piece(id), file.piece(id)) << id;
    }
  }
  for (const char* text : {"Once upon a time", "Lily's mom said, \"Don't worry.\"",
                           "caf\xC3\xA9 \xE2\x82\xAC"
                           "12\n\ttab",
                           ""}) {
    EXPECT_EQ(embedded.encode(text, true, false), file.encode(text, true, false)) << text;
  }
}

}  // namespace
}  // namespace tessera::models
