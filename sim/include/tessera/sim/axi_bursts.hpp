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

// The top's data bus, `bytes` wide: a beat of `beat_bytes` (a power of two up to the
// bus) at `address` sits on the lanes of the beat-aligned container the address falls
// in (AXI4's narrow transfers; the top's addresses are word-aligned, docs/rtl.md).
struct DataBus {
  std::size_t bytes = 0;
  std::size_t lane(std::uint64_t address, std::size_t beat_bytes) const {
    return static_cast<std::size_t>(address / beat_bytes * beat_bytes % bytes);
  }
  std::uint64_t strobe(std::uint64_t address, std::size_t beat_bytes) const {
    const std::uint64_t ones =
        beat_bytes >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << beat_bytes) - 1;
    return ones << lane(address, beat_bytes);
  }
  // ARSIZE/AWSIZE must be a power of two no wider than the bus.
  void check_size(const char* channel, std::size_t beat_bytes) const {
    if (beat_bytes == 0 || beat_bytes > bytes || (beat_bytes & (beat_bytes - 1)) != 0) {
      throw std::logic_error(std::string("rtl accelerator: the top's ") + channel + " beats of " +
                             std::to_string(beat_bytes) + " bytes do not fit its " +
                             std::to_string(bytes) + "-byte data bus");
    }
  }
};

class WriteBurstPairing {
 public:
  explicit WriteBurstPairing(DataBus bus) : bus_(bus) {}

  // An AW handshake.
  void address(std::uint64_t address, int beats, std::size_t beat_bytes) {
    bus_.check_size("AW", beat_bytes);
    check_burst("AW", address, beats, beat_bytes);
    addresses_.push_back({address, beats, beat_bytes});
  }
  // A W handshake: the data bus and WSTRB; `last` is WLAST.
  void data(const std::uint8_t* data, std::uint64_t strobe, bool last) {
    open_.push_back({std::vector<std::uint8_t>(data, data + bus_.bytes), strobe});
    if (!last) return;
    closed_.push_back(std::move(open_));
    open_.clear();
  }
  // The oldest burst whose address and beats have all come, if any: its address and
  // bytes. Its WLAST must fall on its last beat and each beat's WSTRB on the lanes its
  // address selects.
  bool complete(std::uint64_t* address, std::vector<std::uint8_t>* bytes) {
    if (addresses_.empty() || closed_.empty()) return false;
    const Burst burst = addresses_.front();
    const std::vector<Beat>& beats = closed_.front();
    if (beats.size() != static_cast<std::size_t>(burst.beats)) {
      throw std::logic_error("rtl accelerator: the top's write burst at 0x" + hex(burst.address) +
                             " of " + std::to_string(burst.beats) + " beats has WLAST after " +
                             std::to_string(beats.size()));
    }
    bytes->clear();
    for (std::size_t i = 0; i < beats.size(); ++i) {
      const std::uint64_t at = burst.address + i * burst.beat_bytes;
      if (beats[i].strobe != bus_.strobe(at, burst.beat_bytes)) {
        throw std::logic_error("rtl accelerator: the top's write beat at 0x" + hex(at) +
                               " has WSTRB 0x" + hex(beats[i].strobe) +
                               ", not the lanes of its address");
      }
      const auto lane = static_cast<std::ptrdiff_t>(bus_.lane(at, burst.beat_bytes));
      bytes->insert(bytes->end(), beats[i].data.begin() + lane,
                    beats[i].data.begin() + lane + static_cast<std::ptrdiff_t>(burst.beat_bytes));
    }
    *address = burst.address;
    addresses_.pop_front();
    closed_.pop_front();
    return true;
  }

 private:
  struct Burst {
    std::uint64_t address;
    int beats;
    std::size_t beat_bytes;
  };
  struct Beat {
    std::vector<std::uint8_t> data;  // the whole bus
    std::uint64_t strobe;
  };
  DataBus bus_;
  std::deque<Burst> addresses_;
  std::deque<std::vector<Beat>> closed_;  // beats of bursts with WLAST seen
  std::vector<Beat> open_;                // beats of the burst after them
};

}  // namespace tessera::sim
