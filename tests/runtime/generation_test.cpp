#include "runtime/generation.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "support/golden.hpp"
#include "support/model_files.hpp"
#include "tessera/models/checkpoint.hpp"

namespace tessera::runtime {
namespace {

using testing::real_model_file;

class Generation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    checkpoint_ =
        new models::Checkpoint(models::Checkpoint::load(real_model_file("stories260K.bin")));
    tokenizer_ = new models::Tokenizer(models::Tokenizer::load(real_model_file("tok512.bin"), 512));
  }
  static void TearDownTestSuite() {
    delete checkpoint_;
    delete tokenizer_;
  }

  static GenerationResult run(const std::string& prompt, int steps, models::SamplerSettings s,
                              std::string* text) {
    auto device = open_device("reference", *checkpoint_, steps);
    models::Sampler sampler(512, s);
    std::ostringstream out;
    GenerationResult result = generate(*device, *tokenizer_, sampler, {prompt, steps}, out);
    *text = out.str();
    return result;
  }

  static models::Checkpoint* checkpoint_;
  static models::Tokenizer* tokenizer_;
};
models::Checkpoint* Generation::checkpoint_ = nullptr;
models::Tokenizer* Generation::tokenizer_ = nullptr;

TEST_F(Generation, GreedyStoryMatchesLlama2c) {
  std::string text;
  const GenerationResult result = run("", 60, {0.0f, 0.9f, 1}, &text);
  EXPECT_EQ(text, testing::stories260k_greedy_60_text());
  EXPECT_EQ(result.positions, 60);
  EXPECT_EQ(result.prompt_tokens, 1);
  ASSERT_EQ(result.tokens.size(), 61u);
  const auto& golden = testing::stories260k_greedy_ids();
  EXPECT_EQ(std::vector<int>(result.tokens.begin() + 1, result.tokens.end()),
            std::vector<int>(golden.begin(), golden.begin() + 60));
}

TEST_F(Generation, PromptIsForcedThenContinued) {
  // The greedy story starts with this prompt, so forcing it changes nothing.
  std::string text;
  const GenerationResult result = run("Once upon a time", 60, {0.0f, 0.9f, 1}, &text);
  EXPECT_EQ(text, testing::stories260k_greedy_60_text());
  EXPECT_EQ(result.prompt_tokens, 5);
}

TEST_F(Generation, StepsCountThePrompt) {
  std::string text;
  const GenerationResult result = run("Once upon a time there", 3, {0.0f, 0.9f, 1}, &text);
  EXPECT_EQ(result.positions, 3);
  EXPECT_EQ(text, "Once upon a\n");  // only prompt tokens fit in 3 positions
}

TEST_F(Generation, SeededSamplingIsReproducible) {
  std::string a, b, c;
  run("", 80, {0.8f, 0.9f, 1234}, &a);
  run("", 80, {0.8f, 0.9f, 1234}, &b);
  run("", 80, {0.8f, 0.9f, 4321}, &c);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

// A device that predicts BOS after two tokens: generation must stop there, as
// llama2.c does, without printing it.
class ScriptedDevice final : public Device {
 public:
  const Eigen::VectorXf& forward(int, int pos) override {
    logits_ = Eigen::VectorXf::Zero(512);
    logits_[pos < 2 ? 300 + pos : models::Tokenizer::kBos] = 10.0f;
    return logits_;
  }
  std::string name() const override { return "scripted"; }

 private:
  Eigen::VectorXf logits_;
};

TEST_F(Generation, StopsWhenBosIsSampled) {
  ScriptedDevice device;
  models::Sampler sampler(512, {0.0f, 0.9f, 1});
  std::ostringstream out;
  const GenerationResult result = generate(device, *tokenizer_, sampler, {"", 50}, out);
  EXPECT_EQ(result.positions, 3);
  EXPECT_EQ(result.tokens, (std::vector<int>{1, 300, 301}));
  const std::string first = tokenizer_->piece(300);
  EXPECT_EQ(out.str(), (first[0] == ' ' ? first.substr(1) : first) + tokenizer_->piece(301) + "\n");
}

TEST(Devices, UnknownNameListsTheAvailableOnes) {
  const auto ckpt = models::Checkpoint::load(real_model_file("stories260K.bin"));
  try {
    open_device("tpu", ckpt, 8);
    FAIL() << "opened an unknown device";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("available: reference"), std::string::npos);
  }
}

}  // namespace
}  // namespace tessera::runtime
