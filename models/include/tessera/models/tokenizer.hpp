#pragma once

#include <array>
#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tessera::models {

// SentencePiece token types as GGUF records them (tokenizer.ggml.token_type).
enum class TokenKind {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6
};

// A vocabulary stored in a model file (GGUF's tokenizer.ggml.*): pieces with
// SentencePiece's U+2581 space marker, merge scores, token kinds and special ids.
struct TokenizerVocabulary {
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<TokenKind> kinds;
  int bos = 1;
  int eos = 2;
};

// llama2.c's tokenizer (tokenizer.bin, tok512.bin): a SentencePiece BPE vocabulary
// with merge scores and byte fallback. Encoding and decoding follow llama2.c's run.c
// exactly, because its output is the specification tessera is tested against.
class Tokenizer {
 public:
  static constexpr int kBos = 1;
  static constexpr int kEos = 2;
  static constexpr int kFirstByteToken = 3;  // <0x00> .. <0xFF> follow <unk>, <s>, </s>

  // The file does not record its vocabulary size, so the model's is required; a file
  // holding more or fewer entries is rejected as not matching the model.
  static Tokenizer load(const std::filesystem::path& path, int vocab_size);

  // The same tokenizer over a vocabulary embedded in `model`. Pieces are matched and
  // printed as SentencePiece does: control and unused tokens are never produced from
  // text and print nothing, byte tokens come only from byte fallback.
  static Tokenizer from_vocabulary(const std::filesystem::path& model,
                                   const TokenizerVocabulary& vocabulary);

  // BPE-encodes text (SentencePiece's dummy-prefix space included for non-empty
  // text), optionally framed by BOS and EOS.
  std::vector<int> encode(std::string_view text, bool bos, bool eos) const;

  // The text to print when `token` follows `previous`: the leading space is dropped
  // after BOS and "<0xXX>" pieces become their raw byte.
  std::string_view decode(int previous, int token) const;

  // Writes a decoded piece as llama2.c's safe_printf does: a lone byte that is neither
  // printable nor whitespace (a control code) is dropped.
  static void write_safe(std::ostream& out, std::string_view piece);

  int vocab_size() const { return static_cast<int>(pieces_.size()); }
  int bos_id() const { return bos_; }
  int eos_id() const { return eos_; }
  // How many of the 256 bytes have a byte-fallback token.
  int byte_tokens() const;
  const std::string& piece(int id) const { return pieces_.at(static_cast<std::size_t>(id)); }
  float score(int id) const { return scores_.at(static_cast<std::size_t>(id)); }

 private:
  Tokenizer(std::filesystem::path path, std::vector<std::string> pieces, std::vector<float> scores);
  int lookup(const std::string& piece) const;
  int byte_token(unsigned char byte) const;

  std::filesystem::path path_;
  std::vector<std::string> pieces_;  // cut at the first NUL, as C strings are
  std::vector<float> scores_;
  std::unordered_map<std::string, int> ids_;  // pieces text may become; first id wins
  std::array<int, 256> byte_ids_{};           // byte-fallback token of each byte, or -1
  std::vector<bool> silent_;                  // tokens that print nothing
  int bos_ = kBos;
  int eos_ = kEos;
  std::array<char, 512> byte_pieces_{};  // "\xNN\0" for every byte
};

}  // namespace tessera::models
