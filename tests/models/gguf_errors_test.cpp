// Malformed GGUF files: every one gives a single-line InputError naming the file and
// the problem, never a crash, a hang or a huge allocation (this suite also runs under
// ASan/UBSan).
#include <gtest/gtest.h>

#include <cstring>

#include "support/gguf_writer.hpp"
#include "support/model_files.hpp"
#include "support/synthetic_model.hpp"
#include "tessera/models/checkpoint.hpp"
#include "tessera/models/error.hpp"
#include "tessera/models/model_paths.hpp"

namespace tessera::models {
namespace {

using testing::GgufWriter;

// Header field offsets.
constexpr std::size_t kVersionOffset = 4, kTensorCountOffset = 8, kKvCountOffset = 16,
                      kFirstKeyLengthOffset = 24;

class GgufErrors : public ::testing::Test {
 protected:
  GgufWriter valid() const {
    return testing::llama_gguf(
        testing::make_synthetic_model(testing::model_config(32, 32, 1, 2, 1, 8, 4), 2), 0);
  }

  std::string error_for(const std::vector<char>& bytes, const std::string& name = "m.gguf") {
    const auto path = dir_ / name;
    testing::write_bytes(path, bytes);
    try {
      Checkpoint::load(path);
    } catch (const InputError& error) {
      const std::string message = error.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << "message spans lines: " << message;
      EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u)
          << "does not name the file: " << message;
      return message;
    }
    ADD_FAILURE() << "loaded without error";
    return {};
  }
  std::string error_for(const GgufWriter& w) { return error_for(w.bytes()); }

  template <typename T>
  static std::vector<char> patched(std::vector<char> bytes, std::size_t offset, T value) {
    std::memcpy(bytes.data() + offset, &value, sizeof value);
    return bytes;
  }

  testing::TempDir dir_{"gguf-errors"};
};

#define EXPECT_ERROR(expression, fragment)                                            \
  do {                                                                                \
    const std::string message_ = (expression);                                        \
    EXPECT_NE(message_.find(fragment), std::string::npos) << "message: " << message_; \
  } while (false)

TEST_F(GgufErrors, ValidFileLoads) {
  EXPECT_NO_THROW(Checkpoint::load(
      (testing::write_bytes(dir_ / "ok.gguf", valid().bytes()), dir_ / "ok.gguf")));
}

// Cut at every byte of the header, metadata and tensor infos, and at every field
// boundary through the tensor data.
TEST_F(GgufErrors, TruncationAnywhereIsReported) {
  const GgufWriter w = valid();
  const std::vector<char> bytes = w.bytes();
  const std::vector<std::size_t> boundaries = w.field_boundaries();
  const std::size_t data_start =
      boundaries.at(boundaries.size() - w.tensor_index("blk.0.ffn_up.weight") - 2);
  std::vector<std::size_t> cuts(boundaries.begin(), boundaries.end() - 1);
  for (std::size_t cut = 0; cut < data_start; ++cut) cuts.push_back(cut);
  for (const std::size_t cut : cuts) {
    const std::vector<char> head(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    const std::string message = error_for(head);
    const bool says_so = message.find("truncated") != std::string::npos ||
                         message.find("a truncated file") != std::string::npos ||
                         message.find("past the end") != std::string::npos ||
                         message.find("empty file") != std::string::npos;
    EXPECT_TRUE(says_so) << "cut at " << cut << ": " << message;
  }
}

TEST_F(GgufErrors, HeaderProblems) {
  const std::vector<char> bytes = valid().bytes();
  auto bad_magic = bytes;
  bad_magic[3] = 'X';
  EXPECT_ERROR(error_for(bad_magic), "not a GGUF file");
  EXPECT_ERROR(error_for(patched<std::uint32_t>(bytes, kVersionOffset, 1)),
               "version 1 is not supported (supported: 2, 3)");
  EXPECT_ERROR(error_for(patched<std::uint32_t>(bytes, kVersionOffset, 4)), "version 4");
  EXPECT_ERROR(error_for(patched<std::uint32_t>(bytes, kVersionOffset, 0x03000000)), "big-endian");
  EXPECT_ERROR(error_for(patched<std::uint64_t>(bytes, kTensorCountOffset, 1ull << 60)),
               "tensor count 1152921504606846976");
  EXPECT_ERROR(error_for(patched<std::uint64_t>(bytes, kKvCountOffset, ~0ull)), "cannot fit");
  EXPECT_ERROR(error_for(patched<std::uint64_t>(bytes, kFirstKeyLengthOffset, 1ull << 62)),
               "claims 4611686018427387904 bytes");
}

TEST_F(GgufErrors, VersionTwoFilesAreRead) {
  const std::vector<char> v2 = patched<std::uint32_t>(valid().bytes(), kVersionOffset, 2);
  testing::write_bytes(dir_ / "v2.gguf", v2);
  EXPECT_EQ(Checkpoint::load(dir_ / "v2.gguf").config().dim, 32);
}

TEST_F(GgufErrors, MetadataProblems) {
  GgufWriter unknown_type = valid();
  unknown_type.add_raw("general.odd", 13, {0, 0, 0, 0});
  EXPECT_ERROR(error_for(unknown_type), "metadata general.odd has unknown type 13");

  GgufWriter huge_array = valid();
  std::vector<char> array = {4, 0, 0, 0};  // uint32 elements
  for (int i = 0; i < 8; ++i) array.push_back(static_cast<char>(0x7F));
  huge_array.add_raw("general.tags", 9, array);
  EXPECT_ERROR(error_for(huge_array), "metadata general.tags length");

  GgufWriter nested = valid();
  std::vector<char> deep;
  for (int level = 0; level < 10; ++level) {
    deep.insert(deep.end(), {9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0});
  }
  nested.add_raw("general.deep", 9, deep);
  EXPECT_ERROR(error_for(nested), "nests arrays deeper than 8");

  GgufWriter duplicate = valid();
  duplicate.add_uint32("llama.block_count", 1);
  EXPECT_ERROR(error_for(duplicate), "metadata key llama.block_count appears twice");

  GgufWriter missing = valid();
  missing.remove_metadata("llama.block_count");
  EXPECT_ERROR(error_for(missing), "missing required metadata key llama.block_count");

  // Found by checkpoint_fuzzer: a block count far beyond the file's tensors made the
  // loader list every expected tensor before looking (seconds for 2^20 blocks).
  GgufWriter many_blocks = valid();
  many_blocks.remove_metadata("llama.block_count");
  many_blocks.add_uint32("llama.block_count", 1u << 24);
  EXPECT_ERROR(error_for(many_blocks), "missing required tensor blk.1.attn_norm.weight");

  GgufWriter wrong_type = valid();
  wrong_type.remove_metadata("llama.embedding_length");
  wrong_type.add_string("llama.embedding_length", "wide");
  EXPECT_ERROR(error_for(wrong_type),
               "llama.embedding_length should be a non-negative integer but is string \"wide\"");

  GgufWriter architecture = valid();
  architecture.remove_metadata("general.architecture");
  architecture.add_string("general.architecture", "gpt2");
  EXPECT_ERROR(error_for(architecture), "architecture \"gpt2\" is not supported");

  GgufWriter alignment = valid();
  alignment.add_uint32("general.alignment", 24);
  EXPECT_ERROR(error_for(alignment), "general.alignment must be a uint32 power of two, got 24");

  GgufWriter partial_rope = valid();
  partial_rope.remove_metadata("llama.rope.dimension_count");
  partial_rope.add_uint32("llama.rope.dimension_count", 8);
  EXPECT_ERROR(error_for(partial_rope), "rotates part of each head");

  GgufWriter control_bytes = valid();
  control_bytes.remove_metadata("general.architecture");
  control_bytes.add_string("general.architecture", "ll\nama");
  EXPECT_ERROR(error_for(control_bytes), "architecture \"ll\\x0Aama\"");
}

TEST_F(GgufErrors, TensorProblems) {
  GgufWriter missing = valid();
  missing.remove_tensor("blk.0.ffn_up.weight");
  EXPECT_ERROR(error_for(missing), "missing required tensor blk.0.ffn_up.weight");

  GgufWriter shape = valid();
  shape.tensor("blk.0.attn_k.weight").shape = {32, 32};
  shape.tensor("blk.0.attn_k.weight").data.resize(32 * 32 * 4);
  EXPECT_ERROR(error_for(shape),
               "tensor blk.0.attn_k.weight has shape [32, 32] but the "
               "hyperparameters need [32, 16]");

  GgufWriter unknown = valid();
  unknown.tensor("output_norm.weight").type = 77;
  EXPECT_ERROR(error_for(unknown), "tensor output_norm.weight has unknown ggml type 77");

  GgufWriter unreadable = valid();
  unreadable.tensor("output_norm.weight").type = 26;  // I32: same size, not a weight type
  EXPECT_ERROR(error_for(unreadable),
               "tensor output_norm.weight has type I32, which tessera does not read");

  GgufWriter blocks = valid();
  blocks.tensor("output_norm.weight").type = 8;  // Q8_0 blocks of 32: 32 is fine...
  blocks.tensor("blk.0.attn_k.weight").type = 8;
  blocks.tensor("blk.0.attn_k.weight").shape = {16, 32};  // ...16 is not
  EXPECT_ERROR(error_for(blocks), "not a whole number of its 32-element blocks");

  GgufWriter dims = valid();
  dims.tensor("output_norm.weight").shape = {32, 1, 1, 1, 1};
  EXPECT_ERROR(error_for(dims), "tensor output_norm.weight has 5 dimensions (1 to 4 allowed)");

  GgufWriter zero = valid();
  zero.tensor("output_norm.weight").shape = {0};
  EXPECT_ERROR(error_for(zero), "impossible dimensions [0]");

  GgufWriter huge = valid();
  huge.tensor("output_norm.weight").shape = {1ull << 40, 1ull << 40};
  EXPECT_ERROR(error_for(huge), "impossible dimensions");

  GgufWriter too_many_bytes = valid();  // 2^62 elements fit 64 bits, their 2^64 bytes do not
  too_many_bytes.tensor("output_norm.weight").shape = {1ull << 62};
  EXPECT_ERROR(error_for(too_many_bytes), "impossible dimensions [4611686018427387904]");

  GgufWriter extra = valid();
  extra.add_tensor("blk.0.attn_q.bias", {32}, 0, testing::encode_f32(std::vector<float>(32)));
  EXPECT_ERROR(error_for(extra), "tensor blk.0.attn_q.bias is not part of the llama layout");

  GgufWriter twice = valid();
  twice.add_tensor("output_norm.weight", {32}, 0, testing::encode_f32(std::vector<float>(32)));
  EXPECT_ERROR(error_for(twice), "tensor output_norm.weight appears twice");

  GgufWriter beyond = valid();
  beyond.set_tensor_offset(beyond.tensor_index("output_norm.weight"), 1ull << 40);
  EXPECT_ERROR(error_for(beyond),
               "tensor output_norm.weight's data (128 bytes at offset "
               "1099511627776) runs past the end of the file");

  GgufWriter wraps = valid();
  wraps.set_tensor_offset(wraps.tensor_index("output_norm.weight"), ~0ull - 31);
  EXPECT_ERROR(error_for(wraps), "runs past the end of the file");

  GgufWriter overlap = valid();
  overlap.set_tensor_offset(overlap.tensor_index("output_norm.weight"), 0);
  EXPECT_ERROR(error_for(overlap), "tensors token_embd.weight and output_norm.weight overlap");

  GgufWriter unaligned = valid();
  unaligned.set_tensor_offset(unaligned.tensor_index("output_norm.weight"), 1040);
  EXPECT_ERROR(error_for(unaligned),
               "tensor output_norm.weight's data offset 1040 is not a multiple of the 32-byte");
}

// A model whose tokenizer cannot be used still loads; asking for the tokenizer says
// why, and a tokenizer file given instead is used.
TEST_F(GgufErrors, UnusableEmbeddedTokenizer) {
  GgufWriter w = valid();
  w.remove_metadata("tokenizer.ggml.model");
  w.add_string("tokenizer.ggml.model", "gpt2");
  testing::write_bytes(dir_ / "bpe.gguf", w.bytes());
  const Checkpoint ckpt = Checkpoint::load(dir_ / "bpe.gguf");
  try {
    tokenizer_for(ckpt, std::nullopt);
    ADD_FAILURE() << "no error";
  } catch (const InputError& error) {
    EXPECT_ERROR(std::string(error.what()), "embedded tokenizer \"gpt2\" is not supported");
  }
  std::vector<TokenizerPiece> pieces;
  for (const std::string& piece : testing::llama_gguf_pieces(8)) pieces.push_back({piece, 0.0f});
  write_tokenizer(dir_ / "tok.bin", pieces);
  EXPECT_EQ(tokenizer_for(ckpt, dir_ / "tok.bin").vocab_size(), 8);

  GgufWriter counts = valid();
  counts.remove_metadata("tokenizer.ggml.scores");
  counts.add_floats("tokenizer.ggml.scores", {0.0f});
  testing::write_bytes(dir_ / "counts.gguf", counts.bytes());
  EXPECT_THROW(tokenizer_for(Checkpoint::load(dir_ / "counts.gguf"), std::nullopt), InputError);
}

}  // namespace
}  // namespace tessera::models
