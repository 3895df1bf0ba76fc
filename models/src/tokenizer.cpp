#include "tessera/models/tokenizer.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <utility>

#include "file_cursor.hpp"
#include "tessera/models/error.hpp"
#include "tessera/models/mapped_file.hpp"

namespace tessera::models {
namespace {

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

Tokenizer Tokenizer::load(const std::filesystem::path& path, int vocab_size) {
  // llama2.c's vocabularies start <unk>, <s>, </s>: generation begins with BOS (id 1).
  if (vocab_size < 3) {
    throw InputError(path,
                     "a llama2.c vocabulary holds <unk>, <s> and </s> (ids 0-2) at least, "
                     "but the model has " +
                         std::to_string(vocab_size) + " tokens");
  }
  MappedFile file(path);
  if (file.size() == 0) throw InputError(path, "empty file, expected a llama2.c tokenizer");
  detail::FileCursor reader(file, "", "tokenizer");
  const auto max_token_length = reader.read<std::int32_t>("the max_token_length header");
  if (max_token_length < 0) {
    throw InputError(path, "max_token_length " + std::to_string(max_token_length) +
                               " is negative; is this a llama2.c tokenizer?");
  }
  std::vector<std::string> pieces;
  std::vector<float> scores;
  const auto count = static_cast<std::size_t>(vocab_size);
  // Each entry takes at least 8 bytes, so a model vocabulary larger than the file
  // could hold is caught before reserving memory for it.
  if (reader.remaining() / 8 < count) {
    throw InputError(path, "tokenizer of " + std::to_string(file.size()) +
                               " bytes cannot hold the model's " + std::to_string(vocab_size) +
                               " tokens: truncated, or a tokenizer for another model");
  }
  pieces.reserve(count);
  scores.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string entry = "token " + std::to_string(i);
    scores.push_back(reader.read<float>(entry + "'s score"));
    const auto length = reader.read<std::int32_t>(entry + "'s length");
    if (length < 0) {
      throw InputError(path, entry + " has negative length " + std::to_string(length));
    }
    std::string bytes = reader.read_bytes(static_cast<std::size_t>(length), entry + "'s bytes");
    pieces.push_back(bytes.substr(0, std::strlen(bytes.c_str())));
  }
  if (reader.remaining() != 0) {
    throw InputError(path, std::to_string(reader.remaining()) + " bytes follow the " +
                               std::to_string(vocab_size) +
                               " tokens the model expects: a tokenizer for another model?");
  }
  return Tokenizer(path, std::move(pieces), std::move(scores));
}

Tokenizer::Tokenizer(std::filesystem::path path, std::vector<std::string> pieces,
                     std::vector<float> scores)
    : path_(std::move(path)),
      pieces_(std::move(pieces)),
      scores_(std::move(scores)),
      silent_(pieces_.size(), false) {
  ids_.reserve(pieces_.size());
  for (std::size_t i = 0; i < pieces_.size(); ++i) ids_.emplace(pieces_[i], static_cast<int>(i));
  for (std::size_t b = 0; b < 256; ++b) {
    byte_pieces_[2 * b] = static_cast<char>(b);
    const int id = kFirstByteToken + static_cast<int>(b);
    byte_ids_[b] = id < vocab_size() ? id : -1;
  }
}

namespace {

// SentencePiece writes a space as U+2581 ("▁") inside pieces; llama2.c's files hold
// the space itself, which is what encoding and printing use.
std::string with_spaces(std::string piece) {
  static const std::string kSpaceMarker = "\xE2\x96\x81";
  for (std::size_t at = piece.find(kSpaceMarker); at != std::string::npos;
       at = piece.find(kSpaceMarker, at + 1)) {
    piece.replace(at, kSpaceMarker.size(), " ");
  }
  return piece.substr(0, std::strlen(piece.c_str()));
}

// "<0xNN>" with two upper- or lower-case hex digits: the byte, else -1.
int byte_of_piece(const std::string& piece) {
  if (piece.size() != 6 || piece.compare(0, 3, "<0x") != 0 || piece[5] != '>') return -1;
  int value = 0;
  for (const char c : piece.substr(3, 2)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return -1;
    value = value * 16 +
            (std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10));
  }
  return value;
}

}  // namespace

Tokenizer Tokenizer::from_vocabulary(const std::filesystem::path& model,
                                     const TokenizerVocabulary& v) {
  const std::size_t n = v.pieces.size();
  if (n == 0 || v.scores.size() != n || v.kinds.size() != n) {
    throw InputError(model, "embedded tokenizer has " + std::to_string(n) + " tokens, " +
                                std::to_string(v.scores.size()) + " scores and " +
                                std::to_string(v.kinds.size()) + " token types");
  }
  for (const auto& [name, id] : {std::pair{"BOS", v.bos}, std::pair{"EOS", v.eos}}) {
    if (id < 0 || static_cast<std::size_t>(id) >= n) {
      throw InputError(model, std::string("embedded tokenizer's ") + name + " id " +
                                  std::to_string(id) + " is outside its " + std::to_string(n) +
                                  " tokens");
    }
  }
  std::vector<std::string> pieces;
  pieces.reserve(n);
  for (const std::string& piece : v.pieces) pieces.push_back(with_spaces(piece));
  Tokenizer t(model, std::move(pieces), v.scores);
  t.bos_ = v.bos;
  t.eos_ = v.eos;
  t.ids_.clear();
  t.byte_ids_.fill(-1);
  for (std::size_t i = 0; i < n; ++i) {
    const TokenKind kind = v.kinds[i];
    const int id = static_cast<int>(i);
    if (kind == TokenKind::kNormal || kind == TokenKind::kUserDefined) {
      t.ids_.emplace(t.pieces_[i], id);
    } else if (kind == TokenKind::kByte) {
      const int byte = byte_of_piece(t.pieces_[i]);
      if (byte < 0) {
        throw InputError(model, "embedded tokenizer's byte token " + std::to_string(i) +
                                    " is not of the form <0xNN>");
      }
      if (t.byte_ids_[static_cast<std::size_t>(byte)] < 0) {
        t.byte_ids_[static_cast<std::size_t>(byte)] = id;
      }
    }
    t.silent_[i] = kind == TokenKind::kControl || kind == TokenKind::kUnused;
  }
  return t;
}

int Tokenizer::byte_tokens() const {
  int count = 0;
  for (const int id : byte_ids_) count += id >= 0 ? 1 : 0;
  return count;
}

int Tokenizer::lookup(const std::string& piece) const {
  auto it = ids_.find(piece);
  return it == ids_.end() ? -1 : it->second;
}

int Tokenizer::byte_token(unsigned char byte) const {
  const int id = byte_ids_[byte];
  if (id < 0) {
    char text[8];
    std::snprintf(text, sizeof text, "<0x%02X>", byte);
    throw InputError(path_, std::string("byte fallback needs the token ") + text +
                                " but the vocabulary of " + std::to_string(vocab_size()) +
                                " has none");
  }
  return id;
}

std::vector<int> Tokenizer::encode(std::string_view text, bool bos, bool eos) const {
  // Stop at an embedded NUL, as llama2.c's C-string input would.
  text = text.substr(0, std::min(text.size(), text.find('\0')));
  std::vector<int> tokens;
  tokens.reserve(text.size() + 3);
  if (bos) tokens.push_back(bos_);
  if (!text.empty()) {
    // SentencePiece's add_dummy_prefix. llama2.c reads past the vocabulary when it
    // has no " " piece; the space's byte token is the well-defined equivalent.
    const int space = lookup(" ");
    tokens.push_back(space >= 0 ? space : byte_token(' '));
  }

  // Split into UTF-8 code points (at most 4 bytes, stray continuation bytes alone),
  // each a token if the vocabulary has it, else one byte token per byte.
  std::string code_point;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!is_continuation_byte(text[i])) code_point.clear();
    code_point.push_back(text[i]);
    const bool more = i + 1 < text.size() && is_continuation_byte(text[i + 1]);
    if (more && code_point.size() < 4) continue;
    const int id = lookup(code_point);
    if (id >= 0) {
      tokens.push_back(id);
    } else {
      for (char byte : code_point) tokens.push_back(byte_token(static_cast<unsigned char>(byte)));
    }
    code_point.clear();
  }

  // Greedily merge the adjacent pair whose merged piece scores highest; the leftmost
  // pair wins ties.
  while (tokens.size() >= 2) {
    float best_score = -1e10f;
    int best_id = -1;
    std::size_t best_index = 0;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
      const int id = lookup(piece(tokens[i]) + piece(tokens[i + 1]));
      if (id >= 0 && scores_[static_cast<std::size_t>(id)] > best_score) {
        best_score = scores_[static_cast<std::size_t>(id)];
        best_id = id;
        best_index = i;
      }
    }
    if (best_id < 0) break;
    tokens[best_index] = best_id;
    tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(best_index) + 1);
  }
  if (eos) tokens.push_back(eos_);
  return tokens;
}

std::string_view Tokenizer::decode(int previous, int token) const {
  if (silent_.at(static_cast<std::size_t>(token))) return {};
  const char* text = piece(token).c_str();
  if (previous == bos_ && text[0] == ' ') ++text;
  // The same pattern llama2.c matches, so odd pieces such as "<0x4" behave alike.
  unsigned char byte = 0;
  if (std::sscanf(text, "<0x%02hhX>", &byte) == 1) {
    return std::string_view(&byte_pieces_[2 * static_cast<std::size_t>(byte)]);  // "" for 0x00
  }
  return text;
}

void Tokenizer::write_safe(std::ostream& out, std::string_view piece) {
  if (piece.empty()) return;
  if (piece.size() == 1) {
    const auto byte = static_cast<unsigned char>(piece[0]);
    if (!(std::isprint(byte) || std::isspace(byte))) return;
  }
  out << piece;
}

}  // namespace tessera::models
