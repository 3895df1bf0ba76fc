#pragma once

// The burst rules of the accelerator top's AXI4 memory port (docs/rtl.md, "Memory
// port"), for what answers it: the checks the top promises to keep, and the pairing
// of a write burst's address with its data beats, which may come first.

#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tessera::sim {

inline std::string hex(std::uint64_t value) {
  static const char kDigits[] = "0123456789abcdef";
  std::string text;
  do {
    text.insert(text.begin(), kDigits[value % 16]);
    value /= 16;
  } while (value != 0);
  return text;
}

// AXI4 INCR bursts: 1..256 beats, none crossing a 4 KiB boundary (a one-beat burst of
// a word that straddles one is the top's only exception). A breach is a bug of the top.
inline void check_burst(const char* channel, std::uint64_t address, int beats,
                        std::size_t word_bytes) {
  constexpr std::uint64_t kBoundary = 4096;
  const std::uint64_t last_byte = address + static_cast<std::uint64_t>(beats) * word_bytes - 1;
  if (beats < 1 || beats > 256 || (beats > 1 && address / kBoundary != last_byte / kBoundary)) {
    throw std::logic_error(std::string("rtl accelerator: the top's ") + channel + " burst of " +
                           std::to_string(beats) + " beats at 0x" + hex(address) +
                           " breaks AXI4's burst rules");
  }
}

class WriteBurstPairing {
 public:
  explicit WriteBurstPairing(std::size_t word_bytes) : word_bytes_(word_bytes) {}

  // An AW handshake.
  void address(std::uint64_t address, int beats) {
    check_burst("AW", address, beats, word_bytes_);
    addresses_.emplace_back(address, beats);
  }
  // A W handshake; `last` is WLAST.
  void data(const std::uint8_t* word, bool last) {
    open_.insert(open_.end(), word, word + word_bytes_);
    if (!last) return;
    closed_.push_back(std::move(open_));
    open_.clear();
  }
  // The oldest burst whose address and beats have all come, if any: its address and
  // bytes. Its WLAST must fall on its last beat.
  bool complete(std::uint64_t* address, std::vector<std::uint8_t>* bytes) {
    if (addresses_.empty() || closed_.empty()) return false;
    const auto [at, beats] = addresses_.front();
    if (closed_.front().size() != static_cast<std::size_t>(beats) * word_bytes_) {
      throw std::logic_error("rtl accelerator: the top's write burst at 0x" + hex(at) + " of " +
                             std::to_string(beats) + " beats has WLAST after " +
                             std::to_string(closed_.front().size() / word_bytes_));
    }
    *address = at;
    *bytes = std::move(closed_.front());
    addresses_.pop_front();
    closed_.pop_front();
    return true;
  }

 private:
  std::size_t word_bytes_;
  std::deque<std::pair<std::uint64_t, int>> addresses_;
  std::deque<std::vector<std::uint8_t>> closed_;  // beats of bursts with WLAST seen
  std::vector<std::uint8_t> open_;                // beats of the burst after them
};

}  // namespace tessera::sim
