// The accelerator top's memory port keeps AXI4's burst rules and uses them: long
// read bursts for contiguous operands, a burst of VECTOR_BURST_BEATS K steps per row tile
// for a vector job's strided W, a write burst per result tile row with WLAST on its
// last beat, and DONE only once every write burst has its B response. The memory
// here is the test's own: it records every AR and AW and answers late on purpose.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <random>
#include <vector>

#include "support/attention_case.hpp"
#include "support/random_data.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/sim/axi_bursts.hpp"
#include "tessera/sim/device_abi.hpp"
#include "tessera/sim/dma_shape.hpp"
#include "tessera/sim/rtl_accelerator.hpp"

namespace tessera::sim {
namespace {

struct Burst {
  std::uint64_t address;
  int beats;
  std::uint64_t clock;  // when it issued (AR) or landed (AW and its last W)
  std::size_t beat_bytes;
};

// A flat memory at `base`: reads answered `latency` clocks after their AR, a beat a
// clock, B responses held back until release_responses().
class RecordingMemory final : public BurstLandingPort {
 public:
  // A memory of `bytes` at `base` for `top`'s port.
  RecordingMemory(const RtlAccelerator& top, std::uint64_t base, std::size_t bytes)
      : BurstLandingPort(DataBus{static_cast<std::size_t>(top.bus_bytes())}),
        bus_{static_cast<std::size_t>(top.bus_bytes())},
        word_bytes_(static_cast<std::size_t>(top.word_bytes())),
        base_(base),
        bytes_(bytes, 0),
        beat_(bus_.bytes) {}

  std::uint8_t* at(std::uint64_t address) { return &bytes_.at(address - base_); }
  const std::vector<Burst>& reads() const { return reads_; }
  const std::vector<Burst>& writes() const { return writes_; }
  std::size_t responses_held() const { return unanswered_; }
  void release_responses() { released_ = true; }
  void clear_log() {
    reads_.clear();
    writes_.clear();
  }

  const std::uint8_t* read_data() override {
    if (beats_.empty() || beats_.front().due > cycle_) return nullptr;
    const Beat beat = beats_.front();
    beats_.pop_front();
    std::fill(beat_.begin(), beat_.end(), 0);
    std::copy_n(at(beat.address), beat.bytes,
                beat_.begin() + static_cast<std::ptrdiff_t>(bus_.lane(beat.address, beat.bytes)));
    return beat_.data();
  }
  bool write_response() override {
    if (!released_ || unanswered_ == 0) return false;
    --unanswered_;
    return true;
  }
  bool read_ready() override { return true; }
  bool write_address_ready() override { return true; }
  bool write_ready() override { return true; }
  void read(std::uint64_t address, int beats, std::size_t beat_bytes) override {
    bus_.check_size("AR", beat_bytes);
    check_burst("AR", address, beats, beat_bytes);
    reads_.push_back({address, beats, cycle_, beat_bytes});
    for (int i = 0; i < beats; ++i) {
      beats_.push_back({address + static_cast<std::uint64_t>(i) * beat_bytes,
                        cycle_ + kLatency + static_cast<std::uint64_t>(i), beat_bytes});
    }
  }
  void clocked() override { ++cycle_; }

 private:
  static constexpr std::uint64_t kLatency = 9;
  void land(std::uint64_t address, std::vector<std::uint8_t>& bytes) override {
    writes_.push_back({address, static_cast<int>(bytes.size() / word_bytes_), cycle_, word_bytes_});
    std::copy(bytes.begin(), bytes.end(), at(address));
    ++unanswered_;
  }

  struct Beat {
    std::uint64_t address, due;
    std::size_t bytes;
  };
  DataBus bus_;
  std::size_t word_bytes_;  // the top writes words
  std::uint64_t base_;
  std::vector<std::uint8_t> bytes_, beat_;
  std::deque<Beat> beats_;
  std::vector<Burst> reads_, writes_;  // as they issued; as they landed
  std::size_t unanswered_ = 0;
  bool released_ = false;
  std::uint64_t cycle_ = 0;
};

void program(RtlAccelerator& top, std::uint8_t low, std::uint8_t high, std::uint64_t address) {
  top.write_register(low, static_cast<std::uint32_t>(address));
  top.write_register(high, static_cast<std::uint32_t>(address >> 32));
}

// A GEMM job's registers: its sizes, where its operands and results lie, its CTRL.
struct Job {
  std::uint32_t m_tiles, n_tiles;
  int k;
  std::uint64_t a, w, c;
  std::uint32_t ctrl;
};

// Runs the programmed GEMM job to DONE, holding the B responses back until all its
// `bursts` write bursts have landed and a while after: DONE must wait for them.
void run_holding_responses(RtlAccelerator& top, RecordingMemory& memory, std::uint32_t ctrl,
                           std::size_t bursts) {
  top.write_register(reg::kCtrl, reg::kCtrlStart | ctrl);
  int clocks = 0;
  while (memory.responses_held() < bursts) {
    ASSERT_LT(++clocks, 200000) << "the job's writes never all landed";
    top.run(1);
  }
  top.run(50);
  EXPECT_EQ(top.read_register(reg::kStatus) & reg::kStatusDone, 0u)
      << "DONE before the B responses";
  memory.release_responses();
  while (!(top.read_register(reg::kStatus) & reg::kStatusDone)) {
    ASSERT_LT(++clocks, 200000) << "no DONE after the B responses";
    top.run(1);
  }
}

// Programs `job` into the top with `memory` on its port and runs it to DONE as
// run_holding_responses does; the top's own memory model answers again afterwards.
void run_job(RtlAccelerator& top, RecordingMemory& memory, const Job& job, std::size_t bursts) {
  top.attach_memory(&memory);
  top.write_register(reg::kMTiles, job.m_tiles);
  top.write_register(reg::kNTiles, job.n_tiles);
  top.write_register(reg::kK, static_cast<std::uint32_t>(job.k));
  program(top, reg::kAAddr, reg::kAAddrHi, job.a);
  program(top, reg::kWAddr, reg::kWAddrHi, job.w);
  program(top, reg::kCAddr, reg::kCAddrHi, job.c);
  run_holding_responses(top, memory, job.ctrl, bursts);
  top.attach_memory(nullptr);
}

// C = A W^T by a plain triple loop (independent of the HLS model and the RTL).
std::vector<std::int32_t> plain_gemm(const std::vector<std::int8_t>& a,
                                     const std::vector<std::int8_t>& w, int m, int n, int k) {
  std::vector<std::int32_t> c(static_cast<std::size_t>(m * n), 0);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j)
      for (int x = 0; x < k; ++x)
        c[static_cast<std::size_t>(i * n + j)] +=
            a[static_cast<std::size_t>(i * k + x)] * w[static_cast<std::size_t>(j * k + x)];
  return c;
}

int total_beats(const std::vector<Burst>& bursts) {
  int beats = 0;
  for (const Burst& b : bursts) beats += b.beats;
  return beats;
}

TEST(RtlAcceleratorTopBursts, MatrixOperandsStreamInLongBurstsCutAt4KiB) {
  auto top = make_rtl_accelerator();
  const int edge = top->array().rows, m = 2 * edge, n = edge + 3, k = 70;
  const auto word = static_cast<std::uint64_t>(edge);
  std::mt19937 rng(5);
  const auto a = testing::random_int8(static_cast<std::size_t>(m * k), rng);
  const auto w = testing::random_int8(static_cast<std::size_t>(n * k), rng);
  // A starts 3 words before a 4 KiB boundary: its first burst stops there.
  const std::uint64_t base = 0x7000, a_at = 0x8000 - 3 * word;
  const std::size_t a_bytes = tiled_bytes(m, k, edge), w_bytes = tiled_bytes(n, k, edge);
  // W apart from A: each region's last burst may be short.
  const std::uint64_t w_at = a_at + a_bytes + 0x100, c_at = w_at + w_bytes;
  RecordingMemory memory(*top, base, c_at - base + result_bytes(m, n, edge, edge));
  pack_tiled(a.data(), m, k, edge, memory.at(a_at));
  pack_tiled(w.data(), n, k, edge, memory.at(w_at));
  run_job(*top, memory, {2, 2, k, a_at, w_at, c_at, 0}, static_cast<std::size_t>(4 * edge));

  const std::vector<Burst>& reads = memory.reads();
  ASSERT_FALSE(reads.empty());
  EXPECT_EQ(reads.front().address, a_at);
  EXPECT_EQ(reads.front().beats, 3) << "the first burst ends at the 4 KiB boundary";
  EXPECT_EQ(reads[1].beats, 16);
  EXPECT_EQ(total_beats(reads), 4 * k) << "A's and W's words, each read once";
  // Every burst but each region's last is as long as the rules allow.
  for (std::size_t i = 1; i + 1 < reads.size(); ++i) {
    const std::uint64_t to_boundary = (4096 - reads[i].address % 4096) / word;
    const auto beats = static_cast<std::uint64_t>(reads[i].beats);
    const bool region_ends = reads[i + 1].address != reads[i].address + beats * word;
    if (!region_ends) {
      EXPECT_EQ(beats, std::min<std::uint64_t>(16, to_boundary)) << "burst " << i;
    }
  }
  // A write burst per tile row: 4 tiles of `edge` rows, each row 4 words.
  ASSERT_EQ(memory.writes().size(), static_cast<std::size_t>(4 * edge));
  for (std::size_t i = 0; i < memory.writes().size(); ++i) {
    EXPECT_EQ(memory.writes()[i].beats, 4);
    EXPECT_EQ(memory.writes()[i].address, c_at + i * 4 * word);
  }
  std::vector<std::int32_t> c(static_cast<std::size_t>(m * n));
  unpack_results(memory.at(c_at), m, n, edge, edge, c.data());
  EXPECT_EQ(c, plain_gemm(a, w, m, n, k));
}

TEST(RtlAcceleratorTopBursts, VectorWeightsComeInBurstsOfKStepsPerRowTile) {
  auto top = make_rtl_accelerator();
  // Three row tiles (the last one short); K in two groups of VECTOR_BURST_BEATS K
  // steps and one of 2.
  const int beats = static_cast<int>(dma::kVectorBurstBeats);
  const int edge = top->array().rows, n = 3 * edge - 2, n_tiles = 3, k = 2 * beats + 2;
  const auto word = static_cast<std::uint64_t>(edge);
  std::mt19937 rng(6);
  const auto a = testing::random_int8(static_cast<std::size_t>(k), rng);
  const auto w = testing::random_int8(static_cast<std::size_t>(n * k), rng);
  const std::uint64_t base = 0x10000, a_at = base;
  const std::size_t a_bytes = vector_a_bytes(k, edge), w_bytes = tiled_bytes(n, k, edge);
  const std::uint64_t w_at = a_at + a_bytes, c_at = w_at + w_bytes;
  RecordingMemory memory(*top, base, c_at - base + vector_result_bytes(n_tiles, edge));
  std::copy_n(reinterpret_cast<const std::uint8_t*>(a.data()), k, memory.at(a_at));
  pack_tiled(w.data(), n, k, edge, memory.at(w_at));
  run_job(*top, memory, {1, n_tiles, k, a_at, w_at, c_at, reg::kCtrlVector}, n_tiles);

  // A in one burst, then for each group of K steps one burst per row tile, K words
  // apart.
  const std::vector<Burst>& reads = memory.reads();
  const int groups = (k + beats - 1) / beats;
  ASSERT_EQ(reads.size(), static_cast<std::size_t>(1 + groups * n_tiles));
  EXPECT_EQ(reads[0].address, a_at);
  for (int g = 0; g < groups; ++g) {
    for (int r = 0; r < n_tiles; ++r) {
      const Burst& b = reads[static_cast<std::size_t>(1 + g * n_tiles + r)];
      const auto word_index = static_cast<std::uint64_t>(r * k + beats * g);
      EXPECT_EQ(b.address, w_at + word_index * word);
      EXPECT_EQ(b.beats, std::min(beats, k - beats * g)) << "group " << g << ", row tile " << r;
    }
  }
  std::vector<std::int32_t> c(static_cast<std::size_t>(n));
  std::copy_n(reinterpret_cast<const std::int32_t*>(memory.at(c_at)), n, c.begin());
  EXPECT_EQ(c, plain_gemm(a, w, 1, n, k));
}

// On a four-word port (the kv260-8x8 test board's 32 bytes) a vector job's W comes a
// gather group a beat: one whole-bus beat (ARSIZE = the bus) per row tile and group,
// when W is bus-aligned and K a multiple of the group's K steps. A's reads stay
// narrow (ARSIZE = a word) and so do the result writes, WSTRB on the lanes of each
// word's address (the memory checks it). W a word off the bus, or a K of other
// multiples, goes a word a beat as on a narrow port; the results are the same.
TEST(RtlAcceleratorTopBursts, VectorWeightsComeAGroupABeatOnAWidePort) {
  auto top = make_rtl_accelerator(
      hls::load_hardware_config(TESSERA_SOURCE_DIR "/tests/configs/kv260-8x8.json"));
  const auto beats = dma::kVectorBurstBeats;
  const int edge = top->array().rows, n_tiles = 3, n = n_tiles * edge - 2;
  const auto word = static_cast<std::size_t>(edge),
             bus = static_cast<std::size_t>(top->bus_bytes());
  ASSERT_EQ(bus, word * beats);
  std::mt19937 rng(8);
  for (const auto& [k, w_skew] : {std::pair{3 * static_cast<int>(beats), std::size_t{0}},
                                  std::pair{3 * static_cast<int>(beats), word},
                                  std::pair{3 * static_cast<int>(beats) + 1, std::size_t{0}}}) {
    SCOPED_TRACE("K = " + std::to_string(k) + ", W " + std::to_string(w_skew) +
                 " bytes past the bus");
    const auto a = testing::random_int8(static_cast<std::size_t>(k), rng);
    const auto w = testing::random_int8(static_cast<std::size_t>(n * k), rng);
    const std::uint64_t base = 0x10000, a_at = base;
    const std::size_t a_bytes = vector_a_bytes(k, edge), w_bytes = tiled_bytes(n, k, edge);
    const std::uint64_t w_at = (a_at + a_bytes + bus - 1) / bus * bus + w_skew;
    const std::uint64_t c_at = w_at + w_bytes;
    RecordingMemory memory(*top, base, c_at - base + vector_result_bytes(n_tiles, edge));
    std::copy_n(reinterpret_cast<const std::uint8_t*>(a.data()), k, memory.at(a_at));
    pack_tiled(w.data(), n, k, edge, memory.at(w_at));
    run_job(*top, memory, {1, n_tiles, k, a_at, w_at, c_at, reg::kCtrlVector}, n_tiles);

    const bool whole = w_skew == 0 && static_cast<std::size_t>(k) % beats == 0;
    const std::vector<Burst>& reads = memory.reads();
    const auto groups = (static_cast<std::size_t>(k) + beats - 1) / beats;
    ASSERT_EQ(reads.size(), 1 + groups * n_tiles);
    EXPECT_EQ(reads[0].beat_bytes, word) << "A a word a beat";
    for (std::size_t g = 0; g < groups; ++g) {
      for (std::size_t r = 0; r < n_tiles; ++r) {
        const Burst& b = reads[1 + g * n_tiles + r];
        EXPECT_EQ(b.address, w_at + (r * static_cast<std::size_t>(k) + beats * g) * word);
        const auto steps = std::min(beats, static_cast<std::size_t>(k) - beats * g);
        EXPECT_EQ(b.beat_bytes, whole ? bus : word);
        EXPECT_EQ(static_cast<std::size_t>(b.beats), whole ? 1 : steps);
      }
    }
    std::vector<std::int32_t> c(static_cast<std::size_t>(n));
    std::copy_n(reinterpret_cast<const std::int32_t*>(memory.at(c_at)), n, c.begin());
    EXPECT_EQ(c, plain_gemm(a, w, 1, n, k));
  }
}

// Addresses that are not word multiples are outside the ABI (the ICD's are); the top
// still keeps every burst inside 4 KiB, except a word that straddles a boundary, which
// goes alone, and the results are right.
TEST(RtlAcceleratorTopBursts, AWordAcrossA4KiBBoundaryGoesAlone) {
  auto top = make_rtl_accelerator();
  const int edge = top->array().rows, m = edge, n = edge, k = 20;
  const auto word = static_cast<std::uint64_t>(edge);
  std::mt19937 rng(7);
  const auto a = testing::random_int8(static_cast<std::size_t>(m * k), rng);
  const auto w = testing::random_int8(static_cast<std::size_t>(n * k), rng);
  const std::uint64_t base = 0x7000, a_at = 0x8000 - word + 3;
  const std::size_t a_bytes = tiled_bytes(m, k, edge), w_bytes = tiled_bytes(n, k, edge);
  const std::uint64_t w_at = a_at + a_bytes, c_at = w_at + w_bytes;
  RecordingMemory memory(*top, base, c_at - base + result_bytes(m, n, edge, edge));
  pack_tiled(a.data(), m, k, edge, memory.at(a_at));
  pack_tiled(w.data(), n, k, edge, memory.at(w_at));
  run_job(*top, memory, {1, 1, k, a_at, w_at, c_at, 0}, static_cast<std::size_t>(edge));

  ASSERT_GE(memory.reads().size(), 2u);
  EXPECT_EQ(memory.reads()[0].address, a_at);
  EXPECT_EQ(memory.reads()[0].beats, 1) << "the word across 0x8000";
  EXPECT_EQ(memory.reads()[1].beats, 16);
  EXPECT_EQ(total_beats(memory.reads()), 2 * k);
  std::vector<std::int32_t> c(static_cast<std::size_t>(m * n));
  unpack_results(memory.at(c_at), m, n, edge, edge, c.data());
  EXPECT_EQ(c, plain_gemm(a, w, m, n, k));
}

// A grouped-query job: the K/V records are read once, and each later head's query
// record while the head before it runs, so the next head starts as soon as the
// result before it is written, not a read latency later.
TEST(RtlAcceleratorTopBursts, AGroupsNextQueryIsReadWhileTheHeadBeforeItRuns) {
  auto top = make_rtl_accelerator();
  const int word = top->array().rows;
  constexpr int kHeads = 3, kPositions = 6;
  const testing::AttentionShape shape{kHeads, 1, 8, kPositions - 1, 1};
  std::mt19937 rng(8);
  const auto in = testing::random_attention_input(shape, rng);
  models::int8_reference::AttentionOutput out;
  const hls::AttentionArgs args = testing::attention_args(in, out);
  const AttentionRecords records{shape.head_size, word};
  const auto query_at = [&](int h) { return 0x20000 + std::uint64_t(h) * records.query_bytes(); };
  const std::uint64_t kv_at = query_at(kHeads);
  const auto kv_record_at = [&](int t) { return kv_at + std::uint64_t(t) * records.kv_bytes(); };
  const auto result_at = [&](int h) {
    return kv_record_at(kPositions) + std::uint64_t(h) * records.result_bytes();
  };
  RecordingMemory memory(*top, query_at(0), result_at(kHeads) - query_at(0));
  for (int h = 0; h < kHeads; ++h) records.pack_query(args, 0, h, memory.at(query_at(h)));
  for (int t = 0; t < kPositions; ++t) records.pack_kv(args, t, 0, memory.at(kv_record_at(t)));

  top->attach_memory(&memory);
  memory.release_responses();
  top->write_register(reg::kAttPositions, kPositions);
  top->write_register(reg::kAttHeadSize, static_cast<std::uint32_t>(shape.head_size));
  top->write_register(reg::kAttGroup, kHeads);
  program(*top, reg::kAttQAddr, reg::kAttQAddrHi, query_at(0));
  program(*top, reg::kAttKvAddr, reg::kAttKvAddrHi, kv_at);
  program(*top, reg::kAttOutAddr, reg::kAttOutAddrHi, result_at(0));
  const auto run_to_done = [&] {
    top->write_register(reg::kAttCtrl, reg::kCtrlStart);
    int clocks = 0;
    while (!(top->read_register(reg::kAttStatus) & reg::kStatusDone) && ++clocks < 100000) {
      top->run(1);
    }
    return top->read_register(reg::kAttStatus);
  };
  // A middle head the unit refuses (a NaN query scale) ends the job with ERROR once
  // the next head's query, already asked for, is in: none of its words is left over
  // for the job after it, which runs right.
  const std::uint64_t head1_scale = query_at(1) + record::kQueryScale.at(shape.head_size);
  std::uint8_t saved[4];
  std::copy_n(memory.at(head1_scale), 4, saved);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(memory.at(head1_scale), &nan, 4);
  EXPECT_EQ(run_to_done(), reg::kStatusDone | reg::kStatusError);
  std::copy_n(saved, 4, memory.at(head1_scale));
  memory.clear_log();
  EXPECT_EQ(run_to_done(), reg::kStatusDone);
  top->attach_memory(nullptr);

  // Reads: head 0's query, the K/V records (once), a query record per later head,
  // each issued before the result of the head before it landed.
  const std::vector<Burst>& writes = memory.writes();
  ASSERT_EQ(writes.size(), static_cast<std::size_t>(kHeads));
  std::vector<std::uint64_t> query_read;
  std::uint64_t kv_bytes = 0;
  for (const Burst& b : memory.reads()) {
    if (b.address >= kv_at)
      kv_bytes += static_cast<std::uint64_t>(b.beats) * std::uint64_t(word);
    else
      query_read.push_back(b.clock);
  }
  EXPECT_EQ(kv_bytes, kPositions * records.kv_bytes()) << "K/V read once for the group";
  ASSERT_EQ(query_read.size(), static_cast<std::size_t>(kHeads));
  for (std::size_t h = 1; h < query_read.size(); ++h) {
    EXPECT_LT(query_read[h], writes[h - 1].clock)
        << "head " << h << "'s query was read after head " << h - 1 << "'s result landed";
  }
  // Each head's result against the int8 reference (models/), not the HLS model.
  const auto expected = models::int8_reference::attention(in);
  for (int h = 0; h < kHeads; ++h) {
    const auto head = static_cast<std::size_t>(h);
    EXPECT_EQ(writes[head].address, result_at(h));
    std::vector<std::int32_t> acc(static_cast<std::size_t>(shape.head_size));
    numerics::AttentionNorm norm{};
    records.unpack_result(memory.at(result_at(h)), shape.head_size, acc.data(), &norm);
    EXPECT_TRUE(std::equal(acc.begin(), acc.end(), expected.acc.begin() + h * shape.head_size))
        << "head " << h;
    EXPECT_EQ(norm.exp_sum, expected.norms[head].exp_sum);
    EXPECT_EQ(norm.exponent, expected.norms[head].exponent);
  }
}

TEST(AxiBurstRules, BreachesAreTheTopsBugs) {
  EXPECT_NO_THROW(check_burst("AR", 0x0f00, 16, 16));
  EXPECT_THROW(check_burst("AR", 0x0f08, 16, 16), std::logic_error) << "crosses 4 KiB";
  EXPECT_NO_THROW(check_burst("AR", 0x0ff8, 1, 16)) << "one word that straddles";
  EXPECT_THROW(check_burst("AW", 0, 0, 16), std::logic_error);
  EXPECT_THROW(check_burst("AW", 0, 257, 1), std::logic_error);
  WriteBurstPairing writes(DataBus{4});
  const std::uint8_t word[4] = {1, 2, 3, 4};
  writes.data(word, 0xf, false);
  writes.data(word, 0xf, true);  // the data before its address, as AXI allows
  std::uint64_t address = 0;
  std::vector<std::uint8_t> bytes;
  EXPECT_FALSE(writes.complete(&address, &bytes));
  writes.address(0x40, 2, 4);
  ASSERT_TRUE(writes.complete(&address, &bytes));
  EXPECT_EQ(address, 0x40u);
  EXPECT_EQ(bytes.size(), 8u);
  writes.address(0x80, 3, 4);
  writes.data(word, 0xf, true);  // WLAST on the first of three beats
  EXPECT_THROW(writes.complete(&address, &bytes), std::logic_error);
}

}  // namespace
}  // namespace tessera::sim
