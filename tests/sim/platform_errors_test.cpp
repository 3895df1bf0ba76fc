// Bad commands, configurations the platform cannot build, exhausted memory.
#include <gtest/gtest.h>

#include "tessera/hls/hardware_config.hpp"
#include "tessera/sim/platform_driver.hpp"

namespace tessera::sim {
namespace {

hls::HardwareConfig kv260() { return hls::load_preset("kv260"); }

void expect_error(const std::function<void()>& run, const std::string& text) {
  try {
    run();
    ADD_FAILURE() << "no error; expected one mentioning '" << text << "'";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST(PlatformErrors, CommandsThatDoNotFitTheBuffersAreRefused) {
  Platform platform(kv260(), {Fidelity::kTlm, true, "", {}});
  const std::uint64_t buffer = platform.allocate(1 << 20);
  platform.enqueue(GemmCommand{buffer, buffer, buffer, 1, 1, 4097});
  expect_error([&] { platform.run_until_idle(); }, "gemm0: GEMM job 1x1 tiles, K = 4097");
  platform.enqueue(AttentionCommand{buffer, buffer, buffer, 0});
  expect_error([&] { platform.run_until_idle(); }, "attention0: attention job with 0 positions");
  platform.enqueue(AttentionCommand{buffer, buffer, buffer, 4, 129});
  expect_error([&] { platform.run_until_idle(); },
               "attention0: attention job with head size 129 (the unit holds 1..128 lanes)");
  // The device keeps working after an error.
  platform.enqueue(GemmCommand{buffer, buffer, buffer, 1, 1, 16});
  EXPECT_NO_THROW(platform.run_until_idle());
}

TEST(PlatformErrors, AddressesOutsideMemoryAreRefused) {
  Platform platform(kv260(), {Fidelity::kTlm, true, "", {}});
  const std::uint64_t end = platform.config().memory.bytes;
  platform.enqueue(GemmCommand{end - 16, 0, 0, 1, 1, 16});
  expect_error([&] { platform.run_until_idle(); }, "outside device memory");
  std::uint8_t byte = 0;
  expect_error([&] { platform.write(end, &byte, 1); }, "outside device memory");
}

TEST(PlatformErrors, DeviceMemoryRunsOut) {
  Platform platform(kv260(), {Fidelity::kFunc, true, "", {}});
  const std::uint64_t all = platform.allocate(platform.config().memory.bytes);
  expect_error([&] { platform.allocate(1); }, "device memory full");
  platform.release(all);
  EXPECT_NO_THROW(platform.allocate(1));
  expect_error([&] { platform.release(12345); }, "not allocated");
}

TEST(PlatformErrors, FidelitiesTheBuildCannotSimulate) {
  expect_error(
      [] {
        Platform p(hls::load_preset("u280"), {Fidelity::kRtl, true, "", {}});
      },
      "32x32");
  expect_error([] { Platform p(kv260(), {Fidelity::kRtl, false, "", {}}); }, "timing-only");
  expect_error([] { parse_fidelity("fast"); }, "func, tlm or rtl");
}

TEST(PlatformErrors, DriverRejectsMismatchedShapes) {
  Platform platform(kv260(), {Fidelity::kFunc, true, "", {}});
  PlatformDriver driver(platform);
  std::vector<std::int8_t> w(16 * 8, 1), a(8, 1);
  std::vector<std::int32_t> c(16);
  const auto weights = driver.upload_weights(w.data(), 16, 8);
  hls::GemmArgs g;
  g.a = a.data();
  g.m = 1;
  g.n = 16;
  g.k = 9;
  g.c_int32 = c.data();
  expect_error([&] { driver.gemm(g, weights); }, "does not match");
  expect_error([&] { driver.allocate_kv_cache(4, 129, 16); }, "head size 1..128");
  expect_error([&] { driver.allocate_kv_cache(4, 0, 16); }, "head size 1..128");
  auto cache = driver.allocate_kv_cache(1, 8, 16);
  std::vector<std::int8_t> q(16, 1), kv(16 * 16, 1);
  std::vector<float> scales(16, 0.01f);
  std::vector<std::int32_t> out(16);
  std::vector<numerics::AttentionNorm> norm(1);
  hls::AttentionArgs att;
  att.q = q.data();
  att.q_scale = scales.data();
  att.k = att.v = kv.data();
  att.k_scale = att.v_scale = scales.data();
  att.n_queries = 1;
  att.n_heads = att.n_kv_heads = 1;
  att.head_size = 16;  // the cache holds records of 8 lanes
  att.out = out.data();
  att.norm = norm.data();
  expect_error([&] { driver.attention(att, cache); }, "does not fit the device KV cache");
}

}  // namespace
}  // namespace tessera::sim
