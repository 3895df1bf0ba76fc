// Malformed checkpoints must give one clear error naming the file, never a crash or
// a huge allocation.
#include <gtest/gtest.h>

#include <limits>

#include "support/model_files.hpp"
#include "support/synthetic_model.hpp"
#include "tessera/models/checkpoint.hpp"
#include "tessera/models/error.hpp"

namespace tessera::models {
namespace {

using testing::read_bytes;
using testing::write_bytes;
using testing::write_i32;

ModelConfig small_config() { return testing::model_config(16, 24, 2, 4, 2, 32, 8); }

// Header field offsets in the legacy format.
enum Field : std::size_t {
  kDim = 0,
  kHidden = 4,
  kLayers = 8,
  kHeads = 12,
  kKvHeads = 16,
  kVocab = 20,
  kSeqLen = 24
};

class CheckpointErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_legacy(testing::make_synthetic_model(small_config(), 7), valid_);
  }

  // Writes the valid file with one header field changed and returns the load error.
  std::string error_with_field(Field field, std::int32_t value) {
    auto bytes = read_bytes(valid_);
    write_i32(bytes, field, value);
    return error_for_bytes(bytes);
  }

  std::string error_for_bytes(const std::vector<char>& bytes) {
    const auto path = dir_ / "broken.bin";
    write_bytes(path, bytes);
    return load_error(path);
  }

  static std::string load_error(const std::filesystem::path& path) {
    try {
      Checkpoint::load(path);
    } catch (const InputError& error) {
      const std::string message = error.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << "message spans lines: " << message;
      EXPECT_EQ(message.rfind(path.string(), 0), 0u)
          << "message does not name the file: " << message;
      return message;
    }
    ADD_FAILURE() << "loading " << path << " succeeded";
    return {};
  }

  testing::TempDir dir_{"ckpt-errors"};
  std::filesystem::path valid_ = dir_ / "valid.bin";
};

TEST_F(CheckpointErrors, ValidFileLoads) { EXPECT_NO_THROW(Checkpoint::load(valid_)); }

// A file with GGUF's magic is read as GGUF, not misread as a llama2.c header.
TEST_F(CheckpointErrors, GgufMagicIsReadAsGguf) {
  auto bytes = read_bytes(valid_);
  bytes[0] = 'G', bytes[1] = 'G', bytes[2] = 'U', bytes[3] = 'F';
  EXPECT_NE(error_for_bytes(bytes).find(": GGUF: "), std::string::npos);
}

TEST_F(CheckpointErrors, MissingFile) {
  EXPECT_NE(load_error(dir_ / "absent.bin").find("cannot open"), std::string::npos);
}

TEST_F(CheckpointErrors, DirectoryInsteadOfFile) {
  EXPECT_NE(load_error(dir_.path()).find("not a regular file"), std::string::npos);
}

TEST_F(CheckpointErrors, EmptyFile) {
  EXPECT_NE(error_for_bytes({}).find("empty file"), std::string::npos);
}

TEST_F(CheckpointErrors, ShorterThanHeader) {
  auto bytes = read_bytes(valid_);
  bytes.resize(20);
  EXPECT_NE(error_for_bytes(bytes).find("too short"), std::string::npos);
}

TEST_F(CheckpointErrors, TruncatedWeights) {
  auto bytes = read_bytes(valid_);
  bytes.resize(bytes.size() - 4);
  EXPECT_NE(error_for_bytes(bytes).find("truncated"), std::string::npos);
}

TEST_F(CheckpointErrors, TrailingBytes) {
  auto bytes = read_bytes(valid_);
  bytes.resize(bytes.size() + 4);
  EXPECT_NE(error_for_bytes(bytes).find("does not match"), std::string::npos);
}

TEST_F(CheckpointErrors, ZeroDimensions) {
  for (Field f : {kDim, kHidden, kLayers, kHeads, kKvHeads, kVocab, kSeqLen}) {
    EXPECT_NE(error_with_field(f, 0).find("must be positive"), std::string::npos) << "field " << f;
  }
}

TEST_F(CheckpointErrors, NegativeDimensions) {
  for (Field f : {kDim, kHidden, kLayers, kHeads, kKvHeads, kSeqLen}) {
    EXPECT_NE(error_with_field(f, -3).find("must be positive"), std::string::npos) << "field " << f;
  }
  // A negative vocabulary means "separate classifier", so this file is too short.
  EXPECT_NE(error_with_field(kVocab, -32).find("truncated"), std::string::npos);
  EXPECT_NE(
      error_with_field(kVocab, std::numeric_limits<std::int32_t>::min()).find("must be positive"),
      std::string::npos);
}

TEST_F(CheckpointErrors, DimNotDivisibleByHeads) {
  EXPECT_NE(error_with_field(kHeads, 3).find("not divisible by n_heads"), std::string::npos);
}

TEST_F(CheckpointErrors, MoreKvHeadsThanHeads) {
  EXPECT_NE(error_with_field(kKvHeads, 8).find("n_kv_heads exceeds n_heads"), std::string::npos);
}

TEST_F(CheckpointErrors, HeadsNotMultipleOfKvHeads) {
  EXPECT_NE(error_with_field(kKvHeads, 3).find("not a multiple of n_kv_heads"), std::string::npos);
}

TEST_F(CheckpointErrors, OddHeadSize) {
  EXPECT_NE(error_with_field(kHeads, 16).find("odd"), std::string::npos);
}

TEST_F(CheckpointErrors, InconsistentDimensions) {
  // Each of these changes the size the header implies; the file cannot match it.
  EXPECT_NE(error_with_field(kHidden, 25).find("truncated"), std::string::npos);
  EXPECT_NE(error_with_field(kLayers, 1).find("does not match"), std::string::npos);
  EXPECT_NE(error_with_field(kKvHeads, 4).find("truncated"), std::string::npos);
}

TEST_F(CheckpointErrors, VocabularyOrContextTooLargeForFile) {
  const std::int32_t huge = std::numeric_limits<std::int32_t>::max();
  EXPECT_NE(error_with_field(kVocab, huge).find("truncated"), std::string::npos);
  EXPECT_NE(error_with_field(kSeqLen, huge).find("truncated"), std::string::npos);
  // Dimensions whose product overflows 64 bits are caught too.
  auto bytes = read_bytes(valid_);
  for (Field f : {kDim, kHidden, kLayers, kVocab}) write_i32(bytes, f, huge - 1);
  write_i32(bytes, kHeads, 1);
  write_i32(bytes, kKvHeads, 1);
  const std::string message = error_for_bytes(bytes);
  EXPECT_TRUE(message.find("too large") != std::string::npos ||
              message.find("truncated") != std::string::npos)
      << message;
}

TEST_F(CheckpointErrors, UnsupportedVersion) {
  const auto path = dir_ / "v1.bin";
  testing::write_version1(testing::make_synthetic_model(small_config(), 3), path);
  auto bytes = read_bytes(path);
  write_i32(bytes, 4, 7);
  EXPECT_NE(error_for_bytes(bytes).find("version 7 is not supported"), std::string::npos);
  bytes.resize(100);
  EXPECT_NE(error_for_bytes(bytes).find("shorter than its 256-byte header"), std::string::npos);
}

TEST_F(CheckpointErrors, Version2BadGroupSize) {
  const auto path = dir_ / "v2.bin";
  testing::write_version2(testing::make_synthetic_model(small_config(), 3), path, 8);
  auto bytes = read_bytes(path);
  write_i32(bytes, 37, 0);
  EXPECT_NE(error_for_bytes(bytes).find("group_size = 0"), std::string::npos);
  write_i32(bytes, 37, 7);
  EXPECT_NE(error_for_bytes(bytes).find("whole number of groups"), std::string::npos);
}

// Found by checkpoint_fuzzer: sizing a version 2 file listed every layer's tensors
// before comparing with the file, so a header claiming 2^28 layers allocated gigabytes.
TEST_F(CheckpointErrors, Version2HugeLayerCountIsSizedWithoutListingLayers) {
  const auto path = dir_ / "v2.bin";
  testing::write_version2(testing::make_synthetic_model(small_config(), 3), path, 8);
  auto bytes = read_bytes(path);
  write_i32(bytes, 8 + kLayers, 1 << 28);
  EXPECT_NE(error_for_bytes(bytes).find("n_layers=268435456"), std::string::npos);
}

TEST_F(CheckpointErrors, Version2Truncated) {
  const auto path = dir_ / "v2.bin";
  testing::write_version2(testing::make_synthetic_model(small_config(), 3), path, 8);
  auto bytes = read_bytes(path);
  bytes.resize(bytes.size() - 1);
  EXPECT_NE(error_for_bytes(bytes).find("truncated"), std::string::npos);
}

}  // namespace
}  // namespace tessera::models
