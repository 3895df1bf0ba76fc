// The accelerator top through its register map and memory ports, as the SystemC
// platform and the ICD will use it, against the HLS model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "support/attention_case.hpp"
#include "support/engine_faults.hpp"
#include "support/random_data.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/sim/rtl_accelerator.hpp"

namespace tessera::sim {
namespace {

using testing::random_int8;

// The tops whose memory ports differ: the default (8x8 with checksums, a word a beat)
// and the four-word ports of the kv260-8x8 test board (32 bytes) and kv260 (16x16,
// 64 bytes), where a vector job's W comes a gather group a beat and the other
// transfers are narrow beats on the lanes their addresses select.
std::vector<std::unique_ptr<RtlAccelerator>> tops_of_every_port() {
  std::vector<std::unique_ptr<RtlAccelerator>> tops;
  tops.push_back(make_rtl_accelerator());
  tops.push_back(make_rtl_accelerator(
      hls::load_hardware_config(TESSERA_SOURCE_DIR "/tests/configs/kv260-8x8.json")));
  tops.push_back(make_rtl_accelerator(hls::load_preset("kv260")));
  return tops;
}

std::string describe(const RtlAccelerator& top) {
  return std::to_string(top.array().rows) + "x" + std::to_string(top.array().rows) + ", " +
         std::to_string(top.bus_bytes()) + "-byte port";
}

TEST(RtlAcceleratorTop, IdentifiesItself) {
  auto top = make_rtl_accelerator();
  EXPECT_EQ(top->read_register(reg::kId), reg::kIdValue);
  EXPECT_EQ(top->read_register(reg::kVersion), 0x00010000u);
  const std::uint32_t config = top->read_register(reg::kConfig);
  EXPECT_EQ(config & 0xff, static_cast<std::uint32_t>(top->array().rows));
  EXPECT_EQ((config >> 8) & 0xff, static_cast<std::uint32_t>(top->array().cols));
  EXPECT_EQ(top->read_register(reg::kStatus), 0u);
  top->write_register(reg::kK, 77);
  EXPECT_EQ(top->read_register(reg::kK), 77u);
  EXPECT_EQ(top->read_register(0xfc), 0u);  // unmapped offsets read as zero
}

// Every register the map lists as RW reads back what was written (the job counts in
// their 16 or 20 bits, addresses in all 32 of each half).
TEST(RtlAcceleratorTop, EveryReadWriteRegisterReadsBack) {
  auto top = make_rtl_accelerator();
  std::uint32_t salt = 0;
#define TESSERA_REGISTER(cpp_name, rtl_name, offset, access, meaning)                            \
  if (std::string(access) == "RW") {                                                             \
    const bool narrow = offset == reg::kMTiles || offset == reg::kNTiles || offset == reg::kK || \
                        offset == reg::kAttPositions || offset == reg::kAttHeadSize ||           \
                        offset == reg::kAttGroup;                                                \
    const std::uint32_t value = narrow ? 0x1230u + ++salt : 0x89abcd00u + (++salt << 2);         \
    top->write_register(offset, value);                                                          \
    EXPECT_EQ(top->read_register(offset), value) << #rtl_name;                                   \
  }
#include "tessera/sim/register_map.inc"
#undef TESSERA_REGISTER
  EXPECT_GE(salt, 15u) << "the RW registers";
}

TEST(RtlAcceleratorTop, GemmsThroughMemoryMatchTheHlsModel) {
  for (const auto& top : tops_of_every_port()) {
    SCOPED_TRACE(describe(*top));
    std::mt19937 rng(23);
    std::uniform_int_distribution<int> dim(1, 30), depth(1, 90);
    const int rows = top->array().rows;
    // CONFIG bits 16..23: log2 of the operand buffers' words.
    const int buffer_words = 1 << ((top->read_register(reg::kConfig) >> 16) & 0xff);
    for (int i = 0; i < 14; ++i) {
      // The first cases end on a full tile: its last row is real data, written last.
      const int m = i == 0 ? 16 : i == 1 ? 8 : dim(rng);
      const int n = i == 0 ? 16 : i == 1 ? 8 : dim(rng);
      const int tiles = (std::max(m, n) + rows - 1) / rows;
      const int k = i == 1 ? 1 : std::min(depth(rng), buffer_words / tiles);
      const auto a = random_int8(static_cast<std::size_t>(m * k), rng);
      const auto w = random_int8(static_cast<std::size_t>(n * k), rng);
      const auto expected = testing::hls_gemm_int32(top->array(), a, w, m, n, k);
      MemoryModel memory;
      memory.read_latency = 1 + i % 7;
      memory.read_ready_rate = i % 3 ? 1.0 : 0.4;
      memory.write_ready_rate = i % 2 ? 0.3 : 1.0;
      memory.seed = static_cast<std::uint32_t>(i + 1);
      // Some jobs straddle the 4 GiB boundary or lie above it: 64-bit addresses.
      if (i % 4 == 2) memory.operand_address = 0xffffff00u;
      if (i % 4 == 3) memory.operand_address = 0x2345600000ull;
      memory.bus_aligned_regions = i % 3 != 1;
      const AcceleratorRun run = top->gemm(a.data(), w.data(), m, n, k, memory);
      ASSERT_EQ(run.c, expected) << m << "x" << n << "x" << k << " latency " << memory.read_latency;
      EXPECT_GT(run.cycles, static_cast<std::uint64_t>(k));
      EXPECT_EQ(top->read_register(reg::kStatus), reg::kStatusDone);
    }
  }
}

// On a wide port the top keeps, per read burst in flight, which lanes its beats use;
// with a memory this slow a GEMM's A and W bursts (256 each at K = 4096) outrun that
// record, and AR waits for room: the results are the same.
TEST(RtlAcceleratorTop, ReadsWaitForTheLaneRecordOfASlowMemory) {
  auto top = make_rtl_accelerator(hls::load_preset("kv260"));
  const int rows = top->array().rows, k = 4096;
  std::mt19937 rng(71);
  const auto a = random_int8(static_cast<std::size_t>(rows * k), rng);
  const auto w = random_int8(static_cast<std::size_t>(rows * k), rng);
  MemoryModel memory;
  memory.read_latency = 700;
  const AcceleratorRun run = top->gemm(a.data(), w.data(), rows, rows, k, memory);
  EXPECT_EQ(run.c, testing::hls_gemm_int32(top->array(), a, w, rows, rows, k));
}

// Waits for `bit` in register `status`; the clock runs meanwhile.
std::uint32_t wait_for(RtlAccelerator& top, std::uint8_t status, std::uint32_t bit) {
  for (int i = 0; i < 100000; ++i) {
    const std::uint32_t value = top.read_register(status);
    if (value & bit) return value;
    top.run(1);
  }
  ADD_FAILURE() << "register 0x" << std::hex << int{status} << " never showed bit " << bit;
  return 0;
}

// Vector jobs (GEMV) through the DMA's gather of strided W words: every K from the
// minimum (the array's rows) up, N in and past whole vector tiles (rows x rows
// outputs), memory that waits, at addresses across and above 4 GiB; on a wide port W
// in whole-bus beats where it is bus-aligned and K a multiple of the gather group, a
// word a beat where not.
TEST(RtlAcceleratorTop, GemvsThroughMemoryMatchTheHlsModel) {
  for (const auto& top : tops_of_every_port()) {
    SCOPED_TRACE(describe(*top));
    const int rows = top->array().rows;
    std::mt19937 rng(41);
    int i = 0;
    for (const int n : {1, rows, rows * rows - 1, rows * rows, rows * rows + 3, 3 * rows * rows}) {
      for (const int k : {rows, rows + 1, 40, 131}) {
        const auto a = random_int8(static_cast<std::size_t>(k), rng);
        const auto w = random_int8(static_cast<std::size_t>(n * k), rng);
        const auto expected = testing::hls_gemm_int32(top->array(), a, w, 1, n, k);
        MemoryModel memory;
        memory.read_latency = 1 + i % 5;
        memory.read_ready_rate = i % 3 ? 1.0 : 0.5;
        memory.write_ready_rate = i % 2 ? 0.2 : 1.0;
        memory.seed = static_cast<std::uint32_t>(++i);
        memory.operand_address = i % 2 ? 0xfffffe00u : 0x100000000ull;
        memory.bus_aligned_regions = i % 3 != 0;
        const AcceleratorRun run = top->gemv(a.data(), w.data(), n, k, memory);
        ASSERT_EQ(run.c, expected) << "N = " << n << ", K = " << k;
        EXPECT_EQ(top->read_register(reg::kStatus), reg::kStatusDone);
      }
    }
  }
}

// The top's engine checks its tiles: FEATURES says so, and a fault its hooks strike
// (every engine site, GEMMs and GEMVs, memory that waits) ends the job as the C model
// ends it: the same results, written all the same, and CHECKSUM_FAILS, CHECKSUM_TILE,
// STATUS.ERROR and STATUS.CHECKSUM when tiles fail. Clean jobs after it report none.
TEST(RtlAcceleratorTop, ChecksumRegistersReportWhatTheFaultsStrike) {
  auto top = make_rtl_accelerator();
  EXPECT_EQ(top->read_register(reg::kFeatures), reg::kFeatureChecksums);
  const hls::ArrayShape array = top->array();
  std::mt19937 rng(67);
  int failed_jobs = 0;
  for (int i = 0; i < 40; ++i) {
    const testing::EngineJob job =
        i % 2 == 0
            ? testing::EngineJob{false, 1 + (i * 7) % 20, 1 + (i * 11) % 24, 1 + (i * 13) % 50}
            : testing::EngineJob{true, 1, 1 + (i * 29) % 150, array.rows + (i * 5) % 40};
    const auto a = random_int8(static_cast<std::size_t>(job.m * job.k), rng);
    const auto w = random_int8(static_cast<std::size_t>(job.n * job.k), rng);
    const hls::EngineFault fault = testing::random_engine_fault(array, job, rng, true);
    const testing::EngineModelRun want = testing::engine_c_model(array, job, a, w, true, &fault);
    MemoryModel memory;
    memory.read_latency = 1 + i % 4;
    memory.read_ready_rate = i % 3 ? 1.0 : 0.5;
    memory.write_ready_rate = i % 5 ? 1.0 : 0.3;
    memory.seed = static_cast<std::uint32_t>(i + 1);
    top->arm_fault(&fault);
    const AcceleratorRun run = job.vector
                                   ? top->gemv(a.data(), w.data(), job.n, job.k, memory)
                                   : top->gemm(a.data(), w.data(), job.m, job.n, job.k, memory);
    top->arm_fault(nullptr);
    const std::string what = testing::describe(fault) + (job.vector ? " GEMV " : " GEMM ") +
                             std::to_string(job.m) + "x" + std::to_string(job.n) + "x" +
                             std::to_string(job.k);
    EXPECT_EQ(run.c, want.c) << what;
    const int fails = want.checks.failing_tiles;
    EXPECT_EQ(run.checks.failing_tiles, fails) << what;
    if (fails > 0) {
      EXPECT_EQ(run.checks.first_failing_tile, want.checks.first_failing_tile) << what;
    }
    EXPECT_EQ(top->read_register(reg::kStatus),
              reg::kStatusDone | (fails > 0 ? reg::kStatusError | reg::kStatusChecksum : 0u))
        << what;
    if (HasFailure()) return;
    failed_jobs += fails > 0;
  }
  EXPECT_GT(failed_jobs, 10);  // not vacuous
  const auto a = random_int8(8 * 20, rng), w = random_int8(8 * 20, rng);
  top->gemm(a.data(), w.data(), 8, 8, 20, {});
  EXPECT_EQ(top->read_register(reg::kStatus), reg::kStatusDone);
  EXPECT_EQ(top->read_register(reg::kChecksumFails), 0u);
}

// A START while a job runs is ignored (either unit's); a vector job with K below the
// array's rows is refused with ERROR rather than left hanging.
TEST(RtlAcceleratorTop, StartsWhileBusyAreIgnoredAndShortVectorJobsRefused) {
  auto top = make_rtl_accelerator();
  std::vector<std::int8_t> a(8 * 40, 3);
  top->gemm(a.data(), a.data(), 8, 8, 40, {});  // leaves the job's registers and memory
  top->write_register(reg::kCtrl, reg::kCtrlStart);
  EXPECT_EQ(top->read_register(reg::kStatus) & reg::kStatusBusy, reg::kStatusBusy);
  top->write_register(reg::kAttCtrl, reg::kCtrlStart);
  top->write_register(reg::kCtrl, reg::kCtrlStart);
  EXPECT_EQ(wait_for(*top, reg::kStatus, reg::kStatusDone), reg::kStatusDone);
  EXPECT_EQ(top->read_register(reg::kAttStatus), 0u) << "no attention job started";
  top->write_register(reg::kK, static_cast<std::uint32_t>(top->array().rows - 1));
  top->write_register(reg::kCtrl, reg::kCtrlStart | reg::kCtrlVector);
  EXPECT_EQ(wait_for(*top, reg::kStatus, reg::kStatusDone), reg::kStatusDone | reg::kStatusError);
}

TEST(RtlAcceleratorTop, SizesBeyondTheBuffersSetError) {
  auto top = make_rtl_accelerator();
  const int k = TESSERA_RTL_BUFFER_WORDS + 1;  // the co-verification top's buffers, and one
  std::vector<std::int8_t> a(8 * static_cast<std::size_t>(k), 1);
  EXPECT_THROW(top->gemm(a.data(), a.data(), 8, 8, k, {}), std::runtime_error);
  EXPECT_EQ(top->read_register(reg::kStatus), reg::kStatusDone | reg::kStatusError);
}

}  // namespace
}  // namespace tessera::sim

namespace tessera::sim {
namespace {

// The attention unit checks what the records hold: no positions, or a scale that is
// not a positive finite number, end the job with ATT_STATUS.ERROR; so does a head
// size (ATT_HEAD_SIZE) past the unit's lanes.
TEST(RtlAcceleratorTop, AttentionJobsWithBadRecordsSetError) {
  auto top = make_rtl_accelerator();
  std::mt19937 rng(5);
  const auto in = testing::random_attention_input(testing::AttentionShape{1, 1, 8, 2, 1}, rng);
  models::int8_reference::AttentionOutput result;
  top->attention(testing::attention_args(in, result), {});  // leaves the registers and records
  top->write_register(reg::kAttPositions, 0);
  top->write_register(reg::kAttCtrl, reg::kCtrlStart);
  EXPECT_EQ(wait_for(*top, reg::kAttStatus, reg::kStatusDone),
            reg::kStatusDone | reg::kStatusError);
  top->write_register(reg::kAttPositions, 3);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<std::uint8_t> scale(4);
  std::memcpy(scale.data(), &nan, 4);
  const int head_size = static_cast<int>(top->read_register(reg::kAttHeadSize));
  EXPECT_EQ(head_size, 8);
  const std::uint64_t q_scale = (std::uint64_t{top->read_register(reg::kAttQAddrHi)} << 32 |
                                 top->read_register(reg::kAttQAddr)) +
                                record::kQueryScale.at(head_size);
  top->write_memory(q_scale, scale);
  top->write_register(reg::kAttCtrl, reg::kCtrlStart);
  EXPECT_EQ(wait_for(*top, reg::kAttStatus, reg::kStatusDone),
            reg::kStatusDone | reg::kStatusError);
  top->write_register(reg::kAttHeadSize, static_cast<std::uint32_t>(top->head_size_max() + 1));
  top->write_register(reg::kAttCtrl, reg::kCtrlStart);
  top->run(1);
  EXPECT_EQ(top->read_register(reg::kAttStatus), reg::kStatusDone | reg::kStatusError)
      << "refused at once, nothing read";
  // More query heads than a job takes (ATT_GROUP): refused at once too.
  top->write_register(reg::kAttHeadSize, 8);
  top->write_register(reg::kAttGroup, reg::kAttGroupMax + 1);
  top->write_register(reg::kAttCtrl, reg::kCtrlStart);
  top->run(1);
  EXPECT_EQ(top->read_register(reg::kAttStatus), reg::kStatusDone | reg::kStatusError)
      << "a group beyond ATT_GROUP_MAX";
}

// Attention through the ATT_* registers and the record layouts, against the HLS model.
TEST(RtlAcceleratorTop, AttentionThroughMemoryMatchesTheHlsModel) {
  for (const auto& top : tops_of_every_port()) {
    SCOPED_TRACE(describe(*top));
    std::mt19937 rng(31);
    for (const testing::AttentionShape shape :
         {testing::AttentionShape{8, 4, 8, 20, 2}, testing::AttentionShape{2, 1, 16, 60, 1},
          testing::AttentionShape{4, 4, 5, 0, 3}}) {
      const auto in = testing::random_attention_input(shape, rng);
      models::int8_reference::AttentionOutput hls_result, rtl_result;
      ASSERT_EQ(hls::attention(testing::attention_args(in, hls_result)), hls::Status::kOk);
      MemoryModel memory;
      memory.read_latency = 3;
      memory.write_ready_rate = 0.5;
      if (shape.n_heads == 2) memory.operand_address = 0xfffffff0u;  // records across 4 GiB
      EXPECT_GT(top->attention(testing::attention_args(in, rtl_result), memory), 0u);
      ASSERT_EQ(rtl_result.acc, hls_result.acc) << shape.n_heads << "/" << shape.n_kv_heads;
      for (std::size_t i = 0; i < hls_result.norms.size(); ++i) {
        EXPECT_EQ(rtl_result.norms[i].max_weight, hls_result.norms[i].max_weight);
        EXPECT_EQ(rtl_result.norms[i].exp_sum, hls_result.norms[i].exp_sum);
        EXPECT_EQ(rtl_result.norms[i].exponent, hls_result.norms[i].exponent);
      }
    }
    // GEMM and attention jobs alternate on the one memory port.
    std::vector<std::int8_t> a(8 * 8, 3);
    EXPECT_EQ(top->gemm(a.data(), a.data(), 8, 8, 8, {}).c[0], 8 * 9);
  }
}

}  // namespace
}  // namespace tessera::sim
