#pragma once

// The device ABI (docs/rtl.md "Accelerator top and register map", docs/platform.md):
// the register map of one accelerator unit, the tiled operand layout and the
// attention records. The RTL top, its C++ driver, the SystemC platform and the
// host-side drivers all use these definitions.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tessera/hls/attention_i8.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/sim/record_layout.hpp"
#include "tessera/sim/register_map.hpp"

namespace tessera::sim {

// Tiled operands: word (tile, k) holds column k of the tile's `tile` rows, one byte
// per row, rows past `rows` zero; words are stored at tile * K + k.
std::size_t tiled_bytes(int rows, int k, int tile);
void pack_tiled(const std::int8_t* x, int rows, int k, int tile, std::uint8_t* out);
void unpack_tiled(const std::uint8_t* tiled, int rows, int k, int tile, std::int8_t* x);

// GEMM results: tile rows in engine order ((mt, nt) with nt inner, `rows` rows per
// tile, `cols` int32 each, rows and columns past M and N included).
std::size_t result_bytes(int m, int n, int rows, int cols);
void unpack_results(const std::uint8_t* results, int m, int n, int rows, int cols, std::int32_t* c);
void pack_results(const std::int32_t* c, int m, int n, int rows, int cols, std::uint8_t* out);

// Vector-mode jobs (GEMV): A is K bytes packed into whole words of `rows` bytes; W
// is tiled as above (N_TILES row tiles of `cols`); the results are C's outputs as
// int32 in order, one row tile (`cols` outputs) per word group: the result writer
// drops the engine's beats past N_TILES.
std::size_t vector_a_bytes(int k, int rows);
std::size_t vector_result_bytes(int n_tiles, int cols);

// Attention records of `head_max` lanes (the unit's head_size_max, or the job's head
// size where ATT_HEAD_SIZE sets it), in memory words of `word_bytes` bytes.
struct AttentionRecords {
  int head_max = 0;
  int word_bytes = 0;

  std::size_t query_bytes() const { return whole_words(record::kQueryBytes.at(head_max)); }
  std::size_t kv_bytes() const { return whole_words(record::kKeyValueBytes.at(head_max)); }
  std::size_t result_bytes() const { return whole_words(record::kResultBytes.at(head_max)); }
  std::size_t whole_words(std::size_t bytes) const {
    const auto word = static_cast<std::size_t>(word_bytes);
    return (bytes + word - 1) / word * word;
  }

  // Query head `head` of query `query` of the call.
  void pack_query(const hls::AttentionArgs& g, int query, int head, std::uint8_t* out) const;
  // Key and value of position t for kv head `kv_head`.
  void pack_kv(const hls::AttentionArgs& g, int t, int kv_head, std::uint8_t* out) const;
  void pack_result(const std::int32_t* acc, int head_size, const numerics::AttentionNorm& norm,
                   std::uint8_t* out) const;
  void unpack_result(const std::uint8_t* record, int head_size, std::int32_t* acc,
                     numerics::AttentionNorm* norm) const;
  // The single-head call that a job (one query head over `positions` records) is.
  struct Job {
    std::vector<std::int8_t> q, k, v;
    std::vector<float> q_scale, k_scale, v_scale;
    std::vector<std::int32_t> out;
    numerics::AttentionNorm norm{};
    hls::AttentionArgs args;
  };
  // Fills `job` (reusing its storage; its args point into it, so do not copy a Job)
  // on the lanes in use: lanes past the last non-zero query and value lanes add
  // nothing (a zero query lane ignores its key lane, a zero value lane gives a zero
  // output), so the call has head_size = the query's lanes rounded up to 8, or all
  // head_max lanes when a value uses a lane past those.
  void unpack_job(const std::uint8_t* query, const std::uint8_t* kv, int positions, Job& job) const;

 private:
  // Copies `width` lanes of every record into `job`; true if a value lane past
  // `width` is non-zero.
  bool gather_job(const std::uint8_t* query, const std::uint8_t* kv, int positions,
                  std::size_t width, Job& job) const;
};

// The record layout of the configured attention units (words of ROWS bytes) for
// `head_size` lanes; 0: the units' head_size_max.
AttentionRecords attention_records(const hls::HardwareConfig& config, int head_size = 0);

}  // namespace tessera::sim
