// Attention records as the units unpack them: a job runs on the lanes in use, and the
// result is the one the full-width call gives.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "support/attention_case.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/sim/device_abi.hpp"

namespace tessera::sim {
namespace {

constexpr int kHeadMax = 32;

struct Unpacked {
  int head_size;
  std::vector<std::uint8_t> result;
};

// Packs one query head and its records, unpacks them as a unit does, runs the job.
Unpacked run_job(const hls::AttentionArgs& g, const AttentionRecords& records) {
  const int positions = g.first_position + 1;
  std::vector<std::uint8_t> query(records.query_bytes()),
      kv(records.kv_bytes() * static_cast<std::size_t>(positions));
  records.pack_query(g, 0, 0, query.data());
  for (int t = 0; t < positions; ++t) {
    records.pack_kv(g, t, 0, kv.data() + records.kv_bytes() * static_cast<std::size_t>(t));
  }
  AttentionRecords::Job job;
  records.unpack_job(query.data(), kv.data(), positions, job);
  hls::attention_or_throw(job.args);
  Unpacked out{job.args.head_size, std::vector<std::uint8_t>(records.result_bytes())};
  records.pack_result(job.out.data(), job.args.head_size, job.norm, out.result.data());
  return out;
}

std::vector<std::uint8_t> full_width_result(const hls::AttentionArgs& g,
                                            const AttentionRecords& records) {
  std::vector<std::int32_t> acc(static_cast<std::size_t>(g.head_size));
  numerics::AttentionNorm norm;
  hls::AttentionArgs call = g;
  call.out = acc.data();
  call.norm = &norm;
  hls::attention_or_throw(call);
  std::vector<std::uint8_t> out(records.result_bytes());
  records.pack_result(acc.data(), g.head_size, norm, out.data());
  return out;
}

class UnpackLanes : public ::testing::Test {
 protected:
  // One head of kHeadMax lanes over 9 positions; lanes from `lanes` on are zeroed.
  void make(int lanes) {
    std::mt19937 rng(11);
    input_ = testing::random_attention_input({1, 1, kHeadMax, 8, 1}, rng);
    for (std::size_t i = 0; i < input_.q.size(); ++i) {
      if (static_cast<int>(i % kHeadMax) >= lanes) input_.q[i] = 0;
    }
    for (std::size_t i = 0; i < input_.v.size(); ++i) {
      if (static_cast<int>(i % kHeadMax) >= lanes) input_.v[i] = 0;
    }
  }
  hls::AttentionArgs args() { return testing::attention_args(input_, output_); }

  AttentionRecords records_{kHeadMax, 16};
  models::int8_reference::AttentionInput input_;
  models::int8_reference::AttentionOutput output_;
};

TEST_F(UnpackLanes, ShortHeadsRunOnAWordOfLanes) {
  make(3);
  const Unpacked job = run_job(args(), records_);
  EXPECT_EQ(job.head_size, 8);
  EXPECT_EQ(job.result, full_width_result(args(), records_));
}

TEST_F(UnpackLanes, QueryLanesRoundUpToWholeWords) {
  make(11);
  const Unpacked job = run_job(args(), records_);
  EXPECT_EQ(job.head_size, 16);
  EXPECT_EQ(job.result, full_width_result(args(), records_));
}

// A value lane past the query's lanes still reaches the output: all lanes run.
TEST_F(UnpackLanes, AValueLanePastTheQueryWidensTheJob) {
  make(3);
  input_.v[5 * kHeadMax + 27] = 90;
  const Unpacked job = run_job(args(), records_);
  EXPECT_EQ(job.head_size, kHeadMax);
  EXPECT_EQ(job.result, full_width_result(args(), records_));
  EXPECT_NE(job.result, [&] {
    input_.v[5 * kHeadMax + 27] = 0;
    return full_width_result(args(), records_);
  }());
}

// Keys past the query's lanes are multiplied by zero query lanes: dropped.
TEST_F(UnpackLanes, KeyLanesPastTheQueryAreDropped) {
  make(3);
  for (std::size_t i = 0; i < input_.k.size(); ++i) {
    if (i % kHeadMax >= 3) input_.k[i] = 77;
  }
  const Unpacked job = run_job(args(), records_);
  EXPECT_EQ(job.head_size, 8);
  EXPECT_EQ(job.result, full_width_result(args(), records_));
}

}  // namespace
}  // namespace tessera::sim
