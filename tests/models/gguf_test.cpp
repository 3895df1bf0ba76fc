// GGUF files written by the test support's writer (from the format's specification,
// not tessera's reader): each tensor type dequantizes to the values its encoding
// holds, llama models load with the weights and tokenizer they were written with,
// and an F32 GGUF gives the same logits as the llama2.c file of the same weights.
#include "tessera/models/gguf.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "support/gguf_writer.hpp"
#include "support/model_files.hpp"
#include "support/synthetic_model.hpp"
#include "tessera/models/checkpoint.hpp"
#include "tessera/models/ggml_types.hpp"
#include "tessera/models/reference_model.hpp"
#include "tessera/models/synthetic_model.hpp"
#include "tessera/models/tokenizer.hpp"

namespace tessera::models {
namespace {

std::uint32_t bits_of(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// Every binary16 pattern against the compiler's own _Float16 conversion.
TEST(GgmlTypes, HalfToFloatMatchesTheCompilerForEveryPattern) {
  for (std::uint32_t pattern = 0; pattern <= 0xFFFF; ++pattern) {
    const auto bits = static_cast<std::uint16_t>(pattern);
    _Float16 half;
    std::memcpy(&half, &bits, sizeof half);
    const float expected = static_cast<float>(half);
    const float got = half_to_float(bits);
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(got)) << std::hex << pattern;
    } else {
      EXPECT_EQ(bits_of(got), bits_of(expected)) << std::hex << pattern;
    }
  }
}

TEST(GgmlTypes, Bfloat16IsTheTopHalfOfAFloat) {
  for (const float value : {0.0f, -0.0f, 1.0f, -2.5f, 3.140625f, 1e-38f, 65280.0f}) {
    const auto top = static_cast<std::uint16_t>(bits_of(value) >> 16);
    EXPECT_EQ(bits_of(bfloat16_to_float(top)), bits_of(value) & 0xFFFF0000u) << value;
  }
  EXPECT_TRUE(std::isinf(bfloat16_to_float(0x7F80)));
}

// Blocks with hand-chosen scales and quants: d = 0.5 (binary16 0x3800) for Q8_0,
// d = 0.25 (0x3400) for Q4_0.
TEST(GgmlTypes, Q8_0BlockOfKnownValues) {
  std::uint8_t block[34] = {0x00, 0x38};
  for (int j = 0; j < 32; ++j)
    block[2 + j] = static_cast<std::uint8_t>(static_cast<std::int8_t>(j * 8 - 128));
  float out[32];
  find_ggml_type(8)->dequantize(block, 1, out);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(out[j], static_cast<float>(j * 8 - 128) * 0.5f) << j;
}

TEST(GgmlTypes, Q4_0BlockOfKnownValues) {
  std::uint8_t block[18] = {0x00, 0x34};
  for (int j = 0; j < 16; ++j) block[2 + j] = static_cast<std::uint8_t>(j | ((15 - j) << 4));
  float out[32];
  find_ggml_type(2)->dequantize(block, 1, out);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], static_cast<float>(j - 8) * 0.25f) << j;
    EXPECT_EQ(out[16 + j], static_cast<float>(7 - j) * 0.25f) << j;
  }
}

TEST(GgmlTypes, KnownButUnreadableTypesHaveNames) {
  EXPECT_STREQ(find_ggml_type(14)->name, "Q6_K");
  EXPECT_FALSE(find_ggml_type(14)->readable());
  EXPECT_EQ(find_ggml_type(4), nullptr);  // Q4_2, removed from ggml
  EXPECT_EQ(readable_ggml_type_names(), "F32, F16, Q4_0, Q8_0, BF16");
}

ModelConfig quantizable_config(bool shared = true) {
  // Every row a whole number of 32-element blocks.
  return testing::model_config(64, 96, 2, 4, 2, 40, 16, shared);
}

class GgufFiles : public ::testing::Test {
 protected:
  std::filesystem::path write(const testing::GgufWriter& w, const std::string& name) {
    const auto path = dir_ / name;
    testing::write_bytes(path, w.bytes());
    return path;
  }
  testing::TempDir dir_{"gguf"};
};

// What each type's encoding holds, decoded here from the block layout.
std::vector<float> decoded(const std::vector<char>& bytes, std::uint32_t type) {
  std::vector<float> out;
  const auto* b = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const auto half = [&](std::size_t at) {
    _Float16 h;
    std::memcpy(&h, b + at, sizeof h);
    return static_cast<float>(h);
  };
  if (type == 1) {
    for (std::size_t i = 0; i < bytes.size(); i += 2) out.push_back(half(i));
  } else if (type == 30) {
    for (std::size_t i = 0; i < bytes.size(); i += 2) {
      const std::uint32_t bits = static_cast<std::uint32_t>(b[i] | (b[i + 1] << 8)) << 16;
      float v;
      std::memcpy(&v, &bits, sizeof v);
      out.push_back(v);
    }
  } else if (type == 8) {
    for (std::size_t at = 0; at < bytes.size(); at += 34) {
      for (std::size_t j = 0; j < 32; ++j) {
        out.push_back(static_cast<float>(static_cast<std::int8_t>(b[at + 2 + j])) * half(at));
      }
    }
  } else if (type == 2) {
    for (std::size_t at = 0; at < bytes.size(); at += 18) {
      float block[32];
      for (std::size_t j = 0; j < 16; ++j) {
        block[j] = static_cast<float>((b[at + 2 + j] & 15) - 8) * half(at);
        block[j + 16] = static_cast<float>((b[at + 2 + j] >> 4) - 8) * half(at);
      }
      out.insert(out.end(), block, block + 32);
    }
  }
  return out;
}

class GgufTensorTypes : public GgufFiles, public ::testing::WithParamInterface<std::uint32_t> {};

TEST_P(GgufTensorTypes, WeightsLoadAsTheirEncodingHoldsThem) {
  const std::uint32_t type = GetParam();
  const auto model = testing::make_synthetic_model(quantizable_config(false), 5);
  const Checkpoint ckpt = Checkpoint::load(write(testing::llama_gguf(model, type), "m.gguf"));
  EXPECT_EQ(ckpt.format(), CheckpointFormat::kGguf);
  const ModelWeights& w = ckpt.weights();
  const auto expect = [&](const auto& view, const std::vector<float>& source, std::size_t offset,
                          const char* what) {
    const auto count = static_cast<std::size_t>(view.size());
    const std::vector<float> slice(source.begin() + static_cast<std::ptrdiff_t>(offset),
                                   source.begin() + static_cast<std::ptrdiff_t>(offset + count));
    const std::vector<float> want = type == 0 ? slice
                                              : decoded(type == 1    ? testing::encode_f16(slice)
                                                        : type == 30 ? testing::encode_bf16(slice)
                                                        : type == 8  ? testing::encode_q8_0(slice)
                                                                     : testing::encode_q4_0(slice),
                                                        type);
    for (std::size_t i = 0; i < count; ++i) {
      ASSERT_EQ(bits_of(view.data()[i]), bits_of(want[i])) << what << " element " << i;
    }
  };
  expect(w.token_embedding, model.embedding, 0, "token_embd");
  expect(w.classifier, model.classifier, 0, "output");
  const std::size_t q = 64 * 64, kv = 64 * 32, ffn = 64 * 96;
  expect(w.layers[1].wq, model.wq, q, "blk.1.attn_q");
  expect(w.layers[1].wk, model.wk, kv, "blk.1.attn_k");
  expect(w.layers[0].wv, model.wv, 0, "blk.0.attn_v");
  expect(w.layers[1].wo, model.wo, q, "blk.1.attn_output");
  expect(w.layers[1].w1, model.w1, ffn, "blk.1.ffn_gate");
  expect(w.layers[1].w2, model.w2, ffn, "blk.1.ffn_down");
  expect(w.layers[0].w3, model.w3, 0, "blk.0.ffn_up");
  // Norms stay F32 in every file, as llama.cpp writes them.
  for (Eigen::Index i = 0; i < 64; ++i) {
    ASSERT_EQ(w.layers[1].rms_ffn[i], model.rms_ffn[static_cast<std::size_t>(64 + i)]);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryReadableType, GgufTensorTypes, ::testing::Values(0u, 1u, 30u, 8u, 2u),
                         [](const ::testing::TestParamInfo<std::uint32_t>& type) {
                           return std::string(find_ggml_type(type.param)->name);
                         });

// Bit-identical logits against the llama2.c file of the same weights (the loader of
// that format is tested against llama2.c's run.c outputs).
TEST_F(GgufFiles, F32FileGivesTheLogitsOfTheLlama2cFile) {
  for (const bool shared : {true, false}) {
    const auto model =
        testing::make_synthetic_model(testing::model_config(32, 72, 3, 4, 1, 40, 12, shared), 9);
    const auto gguf = write(testing::llama_gguf(model, 0), "m.gguf");
    testing::write_legacy(model, dir_ / "m.bin");
    ReferenceModel from_gguf(Checkpoint::load(gguf), 12);
    ReferenceModel from_bin(Checkpoint::load(dir_ / "m.bin"), 12);
    for (int pos = 0; pos < 12; ++pos) {
      const int token = (pos * 11 + 1) % 40;
      const Eigen::VectorXf a = from_gguf.forward(token, pos);
      const Eigen::VectorXf& b = from_bin.forward(token, pos);
      ASSERT_EQ(a, b) << "shared " << shared << " pos " << pos;
    }
  }
}

TEST_F(GgufFiles, HyperparametersComeFromTheMetadata) {
  const auto model = testing::make_synthetic_model(quantizable_config(), 3);
  testing::GgufWriter w = testing::llama_gguf(model, 0);
  w.add_float32("llama.rope.freq_base", 500000.0f);
  const Checkpoint ckpt = Checkpoint::load(write(w, "m.gguf"));
  const ModelConfig& c = ckpt.config();
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 96);
  EXPECT_EQ(c.n_layers, 2);
  EXPECT_EQ(c.n_heads, 4);
  EXPECT_EQ(c.n_kv_heads, 2);
  EXPECT_EQ(c.vocab_size, 40);
  EXPECT_EQ(c.seq_len, 16);
  EXPECT_TRUE(c.shared_classifier);
  EXPECT_EQ(c.rms_norm_epsilon, 1e-5f);
  EXPECT_EQ(c.rope_theta, 500000.0f);
}

// The embedded vocabulary against a llama2.c tokenizer file of the same pieces.
TEST_F(GgufFiles, EmbeddedTokenizerEncodesAsTheLlama2cFileOfItsPieces) {
  const auto model = testing::make_synthetic_model(quantizable_config(), 3);
  const Checkpoint ckpt = Checkpoint::load(write(testing::llama_gguf(model, 0), "m.gguf"));
  const auto embedded = ckpt.embedded_tokenizer();
  ASSERT_NE(embedded, nullptr);
  std::vector<TokenizerPiece> pieces;
  int rank = 0;
  for (const std::string& piece : testing::llama_gguf_pieces(40)) {
    pieces.push_back({piece, -static_cast<float>(++rank)});
  }
  write_tokenizer(dir_ / "tok.bin", pieces);
  const Tokenizer file = Tokenizer::load(dir_ / "tok.bin", 40);
  for (const char* text : {"", "a", "aa ba", "b aab  ca"}) {
    EXPECT_EQ(embedded->encode(text, true, true), file.encode(text, true, true)) << text;
  }
  for (int token = 3; token < 40; ++token) {
    EXPECT_EQ(embedded->decode(7, token), file.decode(7, token)) << token;
    EXPECT_EQ(embedded->decode(1, token), file.decode(1, token)) << token;
  }
  EXPECT_EQ(embedded->decode(5, 2), "");  // </s> is a control token: prints nothing
  EXPECT_EQ(ckpt.bos_id(), 1);
}

TEST_F(GgufFiles, ByteFallbackUsesTheByteTokens) {
  TokenizerVocabulary v;
  v.pieces = {"<unk>", "<s>", "</s>", "\xE2\x96\x81"};
  v.kinds = {TokenKind::kUnknown, TokenKind::kControl, TokenKind::kControl, TokenKind::kNormal};
  for (int b = 0; b < 256; ++b) {
    char piece[8];
    std::snprintf(piece, sizeof piece, "<0x%02X>", b);
    v.pieces.push_back(piece);
    v.kinds.push_back(TokenKind::kByte);
  }
  v.scores.assign(v.pieces.size(), 0.0f);
  const Tokenizer t = Tokenizer::from_vocabulary("vocab", v);
  EXPECT_EQ(t.byte_tokens(), 256);
  EXPECT_EQ(t.encode("A", true, false), (std::vector<int>{1, 3, 4 + 'A'}));
  EXPECT_EQ(t.decode(3, 4 + 'A'), "A");
  // Control pieces are never matched from text: "<s>" is three bytes, not BOS.
  EXPECT_EQ(t.encode("<s>", false, false), (std::vector<int>{3, 4 + '<', 4 + 's', 4 + '>'}));
}

}  // namespace
}  // namespace tessera::models
