// Tokenizer files that are truncated, corrupt or made for another model.
#include <gtest/gtest.h>

#include "support/model_files.hpp"
#include "support/synthetic_model.hpp"
#include "tessera/models/error.hpp"
#include "tessera/models/tokenizer.hpp"

namespace tessera::models {
namespace {

class TokenizerErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    models::write_tokenizer(path_, {{"<unk>", 0}, {"<s>", 0}, {"</s>", 0}, {"a", -1}, {"b", -2}});
  }
  std::string load_error(const std::vector<char>& bytes, int vocab_size) {
    testing::write_bytes(dir_ / "broken.bin", bytes);
    try {
      Tokenizer::load(dir_ / "broken.bin", vocab_size);
    } catch (const InputError& error) {
      const std::string message = error.what();
      EXPECT_EQ(message.find('\n'), std::string::npos);
      EXPECT_EQ(message.rfind((dir_ / "broken.bin").string(), 0), 0u) << message;
      return message;
    }
    ADD_FAILURE() << "tokenizer loaded";
    return {};
  }

  testing::TempDir dir_{"tok-errors"};
  std::filesystem::path path_ = dir_ / "tok.bin";
};

TEST_F(TokenizerErrors, ValidFileLoads) {
  const Tokenizer t = Tokenizer::load(path_, 5);
  EXPECT_EQ(t.vocab_size(), 5);
  EXPECT_EQ(t.piece(4), "b");
  EXPECT_EQ(t.score(3), -1.0f);
}

TEST_F(TokenizerErrors, Empty) { EXPECT_NE(load_error({}, 5).find("empty"), std::string::npos); }

TEST_F(TokenizerErrors, TruncatedAtEveryByte) {
  const auto bytes = testing::read_bytes(path_);
  for (std::size_t size = 1; size < bytes.size(); ++size) {
    const std::string message =
        load_error({bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size)}, 5);
    EXPECT_TRUE(message.find("truncated") != std::string::npos ||
                message.find("cannot hold") != std::string::npos)
        << "size " << size << ": " << message;
  }
}

TEST_F(TokenizerErrors, MoreTokensThanTheModel) {
  EXPECT_NE(load_error(testing::read_bytes(path_), 4).find("another model"), std::string::npos);
}

TEST_F(TokenizerErrors, FewerTokensThanTheModel) {
  EXPECT_NE(load_error(testing::read_bytes(path_), 6).find("truncated"), std::string::npos);
  EXPECT_NE(load_error(testing::read_bytes(path_), 512).find("cannot hold"), std::string::npos);
}

TEST_F(TokenizerErrors, NegativeLength) {
  auto bytes = testing::read_bytes(path_);
  testing::write_i32(bytes, 4 + 4, -5);  // first entry's length
  EXPECT_NE(load_error(bytes, 5).find("negative length"), std::string::npos);
}

TEST_F(TokenizerErrors, HugeLength) {
  auto bytes = testing::read_bytes(path_);
  testing::write_i32(bytes, 4 + 4, 0x7fffffff);
  EXPECT_NE(load_error(bytes, 5).find("truncated"), std::string::npos);
}

TEST_F(TokenizerErrors, MissingFile) {
  EXPECT_THROW(Tokenizer::load(dir_ / "absent.bin", 5), InputError);
}

// Found by tokenizer_fuzzer: a one-token vocabulary loaded, and generation's BOS (id 1)
// then lay outside it.
TEST_F(TokenizerErrors, VocabularyWithoutBosOrEos) {
  for (const int vocab_size : {1, 2}) {
    models::write_tokenizer(path_, {{"<unk>", 0}, {"<s>", 0}});
    std::vector<char> bytes = testing::read_bytes(path_);
    if (vocab_size == 1) bytes.resize(4 + 4 + 4 + 5);
    EXPECT_NE(load_error(bytes, vocab_size).find("<unk>, <s> and </s> (ids 0-2) at least"),
              std::string::npos);
  }
}

TEST_F(TokenizerErrors, ByteFallbackOutsideTheVocabulary) {
  const Tokenizer t = Tokenizer::load(path_, 5);
  EXPECT_THROW(t.encode("z", true, false), InputError);
}

}  // namespace
}  // namespace tessera::models
