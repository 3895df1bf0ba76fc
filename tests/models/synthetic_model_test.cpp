// The generator behind `tessera synth-model`: values independent of how they are
// produced, the documented scales, and a vocabulary llama2.c's tokenizer reads.
#include "tessera/models/synthetic_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numeric>

#include "support/synthetic_model.hpp"
#include "tessera/models/error.hpp"
#include "tessera/models/tokenizer.hpp"

namespace tessera::models {
namespace {

ModelConfig small() { return testing::model_config(64, 96, 2, 4, 2, 300, 16); }

double variance(const std::vector<float>& v) {
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double sum = 0;
  for (float x : v) sum += (x - mean) * (x - mean);
  return sum / static_cast<double>(v.size());
}

TEST(SyntheticModel, ValuesDoNotDependOnHowTheyAreProduced) {
  const auto whole = synthetic_tensor(small(), 9, SyntheticTensor::kW2);
  std::vector<float> piece(1000);
  synthetic_values(small(), 9, SyntheticTensor::kW2, 777, piece.size(), piece.data());
  EXPECT_TRUE(std::equal(piece.begin(), piece.end(), whole.begin() + 777));
  EXPECT_NE(synthetic_tensor(small(), 10, SyntheticTensor::kW2), whole);
  EXPECT_NE(synthetic_tensor(small(), 9, SyntheticTensor::kW1),
            synthetic_tensor(small(), 9, SyntheticTensor::kW3));
}

// Uniform with variance 1/fan_in (matrices) and 3/dim (embedding): the sample's
// variance is within 3 % of it for these sizes (a uniform's variance has a relative
// standard error of about 0.9/sqrt(n)).
TEST(SyntheticModel, ScalesAreTheDocumentedOnes) {
  const ModelConfig c = small();
  EXPECT_NEAR(variance(synthetic_tensor(c, 1, SyntheticTensor::kWq)) * c.dim, 1.0, 0.03);
  EXPECT_NEAR(variance(synthetic_tensor(c, 1, SyntheticTensor::kW2)) * c.hidden_dim, 1.0, 0.03);
  EXPECT_NEAR(variance(synthetic_tensor(c, 1, SyntheticTensor::kEmbedding)) * c.dim / 3.0, 1.0,
              0.03);
  for (float w : synthetic_tensor(c, 1, SyntheticTensor::kRmsFfn)) {
    EXPECT_GE(w, 0.5f);
    EXPECT_LT(w, 1.5f);
  }
}

TEST(SyntheticModel, RefusesGroupsThatDoNotDivideTheTensors) {
  SyntheticCheckpointOptions options;
  options.format = CheckpointFormat::kVersion2Int8;
  options.group_size = 7;
  EXPECT_THROW(validate_synthetic_checkpoint(small(), "m.bin", options), InputError);
  options.group_size = 32;
  EXPECT_NO_THROW(validate_synthetic_checkpoint(small(), "m.bin", options));
}

TEST(SyntheticModel, FileSizesAreAnnouncedExactly) {
  const auto dir = std::filesystem::temp_directory_path() / "tessera_synthetic_sizes";
  std::filesystem::create_directories(dir);
  for (CheckpointFormat format : {CheckpointFormat::kLegacyFp32, CheckpointFormat::kVersion1Fp32,
                                  CheckpointFormat::kVersion2Int8}) {
    SyntheticCheckpointOptions options;
    options.format = format;
    options.group_size = 32;
    std::uint64_t reported = 0;
    options.progress = [&](std::uint64_t written, std::uint64_t total) {
      EXPECT_LE(written, total);
      reported = written;
    };
    const auto file = dir / "m.bin";
    write_synthetic_checkpoint(small(), file, options);
    EXPECT_EQ(std::filesystem::file_size(file),
              checkpoint_bytes(small(), options.format, options.group_size, file))
        << to_string(format);
    EXPECT_EQ(reported, std::filesystem::file_size(file));
    EXPECT_EQ(Checkpoint::load(file).config().dim, 64);
  }
  std::filesystem::remove_all(dir);
}

// The vocabulary loads as llama2.c's tokenizer, and text made of its pieces or of
// anything else (byte fallback) comes back unchanged. (The smallest vocabulary has no
// room for a space piece, so its dummy prefix decodes as a byte, as in llama2.c.)
TEST(SyntheticModel, VocabularyEncodesAndDecodesText) {
  const auto dir = std::filesystem::temp_directory_path() / "tessera_synthetic_vocabulary";
  std::filesystem::create_directories(dir);
  const std::string story = "Once upon a time, Lily saw a big red ball.";
  for (int vocab : {259, 512, 4096}) {
    const auto pieces = synthetic_vocabulary(vocab);
    ASSERT_EQ(pieces.size(), static_cast<std::size_t>(vocab));
    write_tokenizer(dir / "tok.bin", pieces);
    const Tokenizer t = Tokenizer::load(dir / "tok.bin", vocab);
    for (const std::string& text : {story, std::string("zebra \xc3\xa9t\xc3\xa9 42!")}) {
      const std::vector<int> ids = t.encode(text, true, false);
      std::string decoded;
      for (std::size_t i = 1; i < ids.size(); ++i) decoded += t.decode(ids[i - 1], ids[i]);
      EXPECT_EQ(decoded, vocab == 259 ? " " + text : text) << vocab;
    }
    if (vocab >= 512) {
      EXPECT_LT(t.encode(story, false, false).size(), story.size() / 2) << vocab;
    }
  }
  EXPECT_THROW(synthetic_vocabulary(258), std::invalid_argument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tessera::models
