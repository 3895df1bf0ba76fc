// Huang-Abraham checksums in gemm_i8 (HLS C model) and the platform's checkers
// (check_gemm_tiles, check_gemv_tiles). Fault effects are checked against sums
// computed here from the operands (the nested-loop int8 reference), not against the
// kernel's own output.
#include "tessera/hls/abft.hpp"

#include <gtest/gtest.h>

#include <random>

#include "support/random_data.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/models/int8_reference.hpp"

namespace tessera::hls {
namespace {

using testing::random_int8;

constexpr ArrayShape kArray{8, 8};

std::size_t count(int m, int n) {
  return static_cast<std::size_t>(m) * static_cast<std::size_t>(n);
}

struct Job {
  int m, n, k;
  std::vector<std::int8_t> a, w;
  std::vector<std::int32_t> golden;
  Job(int m_, int n_, int k_, unsigned seed) : m(m_), n(n_), k(k_) {
    std::mt19937 rng(seed);
    a = random_int8(count(m, k), rng);
    w = random_int8(count(n, k), rng);
    golden = models::int8_reference::gemm(a, w, m, n, k);
  }
  int m_tiles() const { return (m + kArray.rows - 1) / kArray.rows; }
  int n_tiles() const { return (n + kArray.cols - 1) / kArray.cols; }
};

struct Outcome {
  Status status;
  ChecksumReport report;
  std::vector<std::int32_t> c;
};

Outcome run(const Job& job, bool checksums, const EngineFault* fault) {
  Outcome out{Status::kOk, {}, std::vector<std::int32_t>(count(job.m, job.n), -7)};
  GemmArgs g;
  g.a = job.a.data();
  g.w = job.w.data();
  g.m = job.m;
  g.n = job.n;
  g.k = job.k;
  g.c_int32 = out.c.data();
  g.checksums = checksums ? &out.report : nullptr;
  g.fault = fault;
  out.status = gemm(kArray, g);
  return out;
}

// sum_{k < steps} A[row][k] W[col][k]: PE (row, col)'s accumulator after `steps` MACs.
std::int32_t partial_sum(const Job& job, int row, int col, int steps) {
  std::int32_t sum = 0;
  for (int k = 0; k < steps; ++k) {
    sum += job.a[count(row, job.k) + static_cast<std::size_t>(k)] *
           job.w[count(col, job.k) + static_cast<std::size_t>(k)];
  }
  return sum;
}

TEST(Checksums, FaultFreeJobsPassAndMatchTheReference) {
  for (auto [m, n, k] : {std::tuple{8, 8, 1}, std::tuple{13, 29, 130}, std::tuple{64, 40, 300}}) {
    const Job job(m, n, k, 3);
    const Outcome out = run(job, true, nullptr);
    EXPECT_EQ(out.status, Status::kOk);
    EXPECT_EQ(out.report.failing_tiles, 0);
    EXPECT_EQ(out.c, job.golden);
  }
}

TEST(Checksums, AnAccumulatorFlipChangesExactlyItsOutputAndIsCaught) {
  const Job job(16, 16, 100, 5);
  EngineFault f;
  f.site = EngineSite::kAccumulator;
  f.tile = 3;  // row tile 1, column tile 1
  f.step = 40;
  f.row = 2;
  f.col = 5;
  f.bit = 17;
  const int row = 8 + 2, col = 8 + 5;
  const std::int32_t partial = partial_sum(job, row, col, 40);
  const std::int32_t expected =
      job.golden[count(row, job.n) + col] + ((partial ^ (1 << 17)) - partial);
  for (bool checksums : {true, false}) {
    const Outcome out = run(job, checksums, &f);
    std::vector<std::int32_t> want = job.golden;
    want[count(row, job.n) + col] = expected;
    EXPECT_EQ(out.c, want);
    EXPECT_EQ(out.status, checksums ? Status::kChecksumMismatch : Status::kOk);
    EXPECT_EQ(out.report.failing_tiles, checksums ? 1 : 0);
    EXPECT_EQ(out.report.first_failing_tile, checksums ? 3 : -1);
  }
}

TEST(Checksums, AFlipBeforeTheFirstMacIsMaskedByTheRestart) {
  const Job job(8, 8, 20, 6);
  EngineFault f;
  f.step = 0;
  f.bit = 30;
  const Outcome out = run(job, true, &f);
  EXPECT_EQ(out.status, Status::kOk);
  EXPECT_EQ(out.c, job.golden);
}

TEST(Checksums, AStruckChecksumPeIsReportedWithCorrectResults) {
  const Job job(8, 16, 50, 7);
  EngineFault f;
  f.tile = 1;
  f.step = 10;
  f.row = kArray.rows;  // the checksum row
  f.col = 4;
  const Outcome out = run(job, true, &f);
  EXPECT_EQ(out.status, Status::kChecksumMismatch);
  EXPECT_EQ(out.report.first_failing_tile, 1);
  EXPECT_EQ(out.c, job.golden);
}

TEST(Checksums, AnOperandBufferByteIsWrongForEveryLaterRead) {
  // A word (row tile 0, k = 9), lane 3, struck during tile 1 at step 20: tile 0 read it
  // before (correct), tiles 1 and 2 read it after; tile 1 read k = 9 before step 20.
  const Job job(8, 24, 30, 8);
  EngineFault f;
  f.site = EngineSite::kOperandBuffer;
  f.buffer = OperandBuffer::kA;
  f.word = 9;
  f.lane = 3;
  f.bit = 6;
  f.tile = 1;
  f.step = 5;  // before tile 1 reads k = 9
  const std::int8_t before = job.a[count(3, job.k) + 9];
  const auto after = static_cast<std::int8_t>(before ^ (1 << 6));
  std::vector<std::int32_t> want = job.golden;
  for (int col = 8; col < 24; ++col) {
    want[count(3, job.n) + static_cast<std::size_t>(col)] +=
        (after - before) * job.w[count(col, job.k) + 9];
  }
  const Outcome out = run(job, true, &f);
  EXPECT_EQ(out.c, want);
  EXPECT_EQ(out.status, Status::kChecksumMismatch);
  EXPECT_EQ(out.report.failing_tiles, 2);
  EXPECT_EQ(out.report.first_failing_tile, 1);
  EXPECT_EQ(check_gemm_tiles(kArray, job.a.data(), job.w.data(), job.m, job.n, job.k, out.c.data())
                .failing_tiles,
            2);
}

// Every fault the campaign can draw, at random: with checksums, a result that differs
// from the reference is always reported (no silent corruption), and a report names
// the struck tile.
TEST(Checksums, NoSilentCorruptionFromRandomFaults) {
  const Job job(24, 16, 70, 9);
  std::mt19937 rng(11);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  int changed = 0;
  for (int i = 0; i < 600; ++i) {
    EngineFault f;
    f.site = static_cast<EngineSite>(pick(3));
    f.kind = static_cast<BitFault>(pick(3));
    f.tile = pick(job.m_tiles() * job.n_tiles());
    f.step = pick(job.k + 1);
    f.bit = pick(f.site == EngineSite::kOperandBuffer ? 8 : 32);
    f.row = pick(kArray.rows + (f.site == EngineSite::kAccumulator ? 1 : 0));
    f.col = pick(kArray.cols);
    f.buffer = static_cast<OperandBuffer>(pick(2));
    f.word = pick((f.buffer == OperandBuffer::kA ? job.m_tiles() : job.n_tiles()) * job.k);
    f.lane = pick(8);
    ASSERT_TRUE(fault_fits(f, kArray, job.m_tiles(), job.n_tiles(), job.k, true));
    const Outcome out = run(job, true, &f);
    if (out.c != job.golden) {
      ++changed;
      ASSERT_EQ(out.status, Status::kChecksumMismatch) << i;
    }
    if (out.status == Status::kChecksumMismatch && f.site != EngineSite::kOperandBuffer) {
      EXPECT_EQ(out.report.first_failing_tile, f.tile) << i;
    }
  }
  EXPECT_GT(changed, 100);  // the faults did corrupt results
}

TEST(Checksums, FaultsOutsideTheEngineAreRefused) {
  const Job job(8, 8, 10, 10);
  EngineFault corner;
  corner.row = kArray.rows;
  corner.col = kArray.cols;  // no PE there
  EXPECT_FALSE(fault_fits(corner, kArray, 1, 1, 10, true));
  EXPECT_EQ(run(job, true, &corner).status, Status::kBadShape);
  EngineFault checksum_pe;
  checksum_pe.row = kArray.rows;
  EXPECT_TRUE(fault_fits(checksum_pe, kArray, 1, 1, 10, true));
  EXPECT_FALSE(fault_fits(checksum_pe, kArray, 1, 1, 10, false));
  EngineFault late;
  late.step = 11;
  EXPECT_FALSE(fault_fits(late, kArray, 1, 1, 10, true));
  EngineFault byte;
  byte.site = EngineSite::kOperandBuffer;
  byte.bit = 8;
  EXPECT_FALSE(fault_fits(byte, kArray, 1, 1, 10, true));
}

TEST(Checksums, TheVectorCheckerFindsTheCorruptTile) {
  std::mt19937 rng(12);
  const int n = 200, k = 40, lanes = kArray.rows * kArray.cols;
  const int n_tiles = (n + kArray.cols - 1) / kArray.cols;
  const auto a = random_int8(static_cast<std::size_t>(k), rng);
  const auto w = random_int8(count(n_tiles * kArray.cols, k), rng);  // tiled by COLS
  std::vector<std::int32_t> c(static_cast<std::size_t>(n), 0);
  for (int row = 0; row < n; ++row) {
    for (int kk = 0; kk < k; ++kk) {
      c[static_cast<std::size_t>(row)] +=
          a[static_cast<std::size_t>(kk)] *
          w[(count(row / kArray.cols, k) + static_cast<std::size_t>(kk)) * kArray.cols +
            static_cast<std::size_t>(row % kArray.cols)];
    }
  }
  EXPECT_EQ(check_gemv_tiles(kArray, a.data(), w.data(), n, k, c.data()).failing_tiles, 0);
  c[static_cast<std::size_t>(lanes + 5)] ^= 1 << 20;
  const ChecksumReport report = check_gemv_tiles(kArray, a.data(), w.data(), n, k, c.data());
  EXPECT_EQ(report.failing_tiles, 1);
  EXPECT_EQ(report.first_failing_tile, 1);
}

struct VectorJob {
  int n, k;
  std::vector<std::int8_t> a, w_tiled;  // W in row tiles of COLS, as the unit's memory holds it
  std::vector<std::int32_t> golden;
  VectorJob(int n_, int k_, unsigned seed) : n(n_), k(k_), golden(static_cast<std::size_t>(n_)) {
    std::mt19937 rng(seed);
    a = random_int8(static_cast<std::size_t>(k), rng);
    const int n_tiles = (n + kArray.cols - 1) / kArray.cols;
    w_tiled = random_int8(count(n_tiles * kArray.cols, k), rng);
    for (int row = 0; row < n; ++row) {
      for (int kk = 0; kk < k; ++kk) {
        golden[static_cast<std::size_t>(row)] += a[static_cast<std::size_t>(kk)] * weight(row, kk);
      }
    }
  }
  std::int32_t weight(int row, int kk) const {
    return w_tiled[(count(row / kArray.cols, k) + static_cast<std::size_t>(kk)) * kArray.cols +
                   static_cast<std::size_t>(row % kArray.cols)];
  }
  Outcome run(bool checksums, const EngineFault* fault) const {
    Outcome out{Status::kOk, {}, std::vector<std::int32_t>(static_cast<std::size_t>(n), -7)};
    GemmArgs g;
    g.a = a.data();
    g.w = w_tiled.data();
    g.w_tile = kArray.cols;
    g.m = 1;
    g.n = n;
    g.k = k;
    g.c_int32 = out.c.data();
    g.checksums = checksums ? &out.report : nullptr;
    g.fault = fault;
    out.status = gemv(kArray, g);
    return out;
  }
};

TEST(VectorChecksums, CatchAccumulatorResultAndABufferFaults) {
  const VectorJob job(200, 40, 13);  // 4 vector tiles of 64 outputs
  EXPECT_EQ(job.run(true, nullptr).c, job.golden);
  EXPECT_EQ(job.run(true, nullptr).status, Status::kOk);
  EngineFault acc;
  acc.tile = 2;
  acc.step = 10;
  acc.row = 1;
  acc.col = 3;  // output 2 * 64 + 1 * 8 + 3
  acc.bit = 9;
  const Outcome struck = job.run(true, &acc);
  std::int32_t partial = 0;
  for (int kk = 0; kk < 10; ++kk)
    partial += job.a[static_cast<std::size_t>(kk)] * job.weight(139, kk);
  std::vector<std::int32_t> want = job.golden;
  want[139] += (partial ^ (1 << 9)) - partial;
  EXPECT_EQ(struck.c, want);
  EXPECT_EQ(struck.status, Status::kChecksumMismatch);
  EXPECT_EQ(struck.report.first_failing_tile, 2);
  EngineFault result;
  result.site = EngineSite::kResultFifo;
  result.tile = 0;
  result.row = 0;
  result.col = 0;
  result.bit = 31;
  EXPECT_EQ(job.run(true, &result).status, Status::kChecksumMismatch);
  // An A byte feeds the outputs and the checksum PE alike; its parity bit catches it.
  EngineFault a_byte;
  a_byte.site = EngineSite::kOperandBuffer;
  a_byte.word = 2;
  a_byte.lane = 5;  // a[21]
  a_byte.bit = 3;
  a_byte.tile = 1;  // tile 0 has read it already
  const Outcome caught = job.run(true, &a_byte);
  EXPECT_NE(caught.c, job.golden);
  EXPECT_EQ(caught.status, Status::kChecksumMismatch);
  EXPECT_EQ(caught.report.failing_tiles, 3);
  EXPECT_EQ(caught.report.first_failing_tile, 1);
  const Outcome silent = job.run(false, &a_byte);
  EXPECT_EQ(silent.c, caught.c);
  EXPECT_EQ(silent.status, Status::kOk);
  EngineFault w_byte = a_byte;
  w_byte.buffer = OperandBuffer::kW;  // W streams past the buffers in vector mode
  EXPECT_EQ(job.run(true, &w_byte).status, Status::kBadShape);
}

}  // namespace
}  // namespace tessera::hls
