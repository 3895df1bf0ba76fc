#include "platform/compute_backends.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "tessera/hls/kernels.hpp"
#include "tessera/sim/attention_cycle_model.hpp"
#include "tessera/sim/gemm_cycle_model.hpp"

namespace tessera::sim {
namespace {

std::size_t sz(long n) { return static_cast<std::size_t>(n); }

// Rows of A past the last nonzero one give zero results; the C model skips them
// (the engine computes them anyway, which the cycle model counts).
int used_rows(const std::vector<std::int8_t>& a, int m, int k) {
  for (int row = m - 1; row > 0; --row) {
    const auto* begin = a.data() + sz(row) * sz(k);
    if (std::any_of(begin, begin + k, [](std::int8_t x) { return x != 0; })) return row + 1;
  }
  return 1;
}

// The C model of the engine, for a job a fault strikes: the state it corrupts
// exists there. A checksum mismatch is the engine's report, not a failure to run.
void run_engine_model(hls::Status (*kernel)(hls::ArrayShape, const hls::GemmArgs&),
                      const char* name, hls::ArrayShape array, const hls::GemmArgs& g) {
  const hls::Status status = kernel(array, g);
  if (status != hls::Status::kOk && status != hls::Status::kChecksumMismatch) {
    throw DeviceError(std::string(name) + " on " + hls::to_string(array) + ": " +
                      hls::describe(status));
  }
}

void run_fast_kernel(const hls::GemmArgs& g) {
  try {
    hls::fast_gemm_or_throw(g);
  } catch (const hls::KernelError& e) {
    throw DeviceError(e.what());
  }
}

// A job's integers on its tiled operands, written as the engine writes its padded
// results: the fast kernel's (which equal the HLS C model's) with the checksums
// checked on them, or the C model's when a fault strikes the job.
void hls_gemm(hls::ArrayShape array, const std::uint8_t* a_tiled, const std::uint8_t* w_tiled,
              int m_tiles, int n_tiles, int k, std::uint8_t* results,
              GemmBackend::Observed observed) {
  const int m = m_tiles * array.rows, n = n_tiles * array.cols;
  std::vector<std::int8_t> a(sz(m) * sz(k)), w(sz(n) * sz(k));
  std::vector<std::int32_t> c(sz(m) * sz(n), 0);
  unpack_tiled(a_tiled, m, k, array.rows, a.data());
  unpack_tiled(w_tiled, n, k, array.cols, w.data());
  hls::GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  g.m = m;
  g.n = n;
  g.k = k;
  g.c_int32 = c.data();
  if (observed.fault != nullptr) {
    g.fault = observed.fault;
    g.checksums = observed.checks;
    run_engine_model(hls::gemm, "gemm_i8", array, g);
  } else {
    g.m = used_rows(a, m, k);
    run_fast_kernel(g);
    if (observed.checks != nullptr) {
      *observed.checks = hls::check_gemm_tiles(array, a.data(), w.data(), m, n, k, c.data());
    }
  }
  pack_results(c.data(), m, n, array.rows, array.cols, results);
}

// A vector-mode job's integers (the fast kernel on W as the unit's memory holds it,
// equal to gemv_i8's, or gemv_i8 itself when a fault strikes); results as N int32
// in order.
void hls_gemv(hls::ArrayShape array, const std::uint8_t* a, const std::uint8_t* w_tiled,
              int n_tiles, int k, std::uint8_t* results, GemmBackend::Observed observed) {
  const int n = n_tiles * array.cols;
  std::vector<std::int32_t> c(sz(n), 0);
  hls::GemmArgs g;
  g.a = reinterpret_cast<const std::int8_t*>(a);
  g.w = reinterpret_cast<const std::int8_t*>(w_tiled);
  g.w_tile = array.cols;  // as the unit's memory holds it
  g.m = 1;
  g.n = n;
  g.k = k;
  g.c_int32 = c.data();
  if (observed.fault != nullptr) {
    g.fault = observed.fault;
    g.checksums = observed.checks;
    run_engine_model(hls::gemv, "gemv_i8", array, g);
  } else {
    run_fast_kernel(g);
    if (observed.checks != nullptr) {
      *observed.checks = hls::check_gemv_tiles(array, g.a, g.w, n, k, c.data());
    }
  }
  std::memcpy(results, c.data(), 4 * c.size());
}

class HlsGemmBackend final : public GemmBackend {
 public:
  HlsGemmBackend(const hls::HardwareConfig& config, bool timed)
      : array_(config.array()),
        buffer_words_(config.gemm.buffer_words),
        checksums_(config.gemm.checksums),
        timed_(timed) {}
  std::uint64_t run(const std::uint8_t* a_tiled, const std::uint8_t* w_tiled, int m_tiles,
                    int n_tiles, int k, std::uint8_t* results, Observed observed) override {
    if (a_tiled != nullptr) {
      hls_gemm(array_, a_tiled, w_tiled, m_tiles, n_tiles, k, results, observed);
    }
    if (!timed_) return 0;
    return gemm_timing(array_, buffer_words_, m_tiles * array_.rows, n_tiles * array_.cols, k,
                       /*preloaded=*/true, 1.0, checksums_)
        .total_cycles;
  }
  std::uint64_t run_vector(const std::uint8_t* a, const std::uint8_t* w_tiled, int n_tiles, int k,
                           std::uint8_t* results, Observed observed) override {
    if (a != nullptr) hls_gemv(array_, a, w_tiled, n_tiles, k, results, observed);
    if (!timed_) return 0;
    return gemv_timing(array_, n_tiles * array_.cols, k, /*preloaded=*/true, 1.0, checksums_)
        .total_cycles;
  }

 private:
  hls::ArrayShape array_;
  int buffer_words_;
  bool checksums_;
  bool timed_;
};

class AttentionBackendBase : public AttentionBackend {
 public:
  std::uint64_t run(const AttentionRecords& records, const std::uint8_t* query,
                    const std::uint8_t* kv, int positions, std::uint8_t* result) override {
    if (query == nullptr) return cycles(positions);
    // On the lanes in use: the C model is faster, the Verilated unit needs fewer.
    records.unpack_job(query, kv, positions, job_);
    const std::uint64_t taken = compute(job_.args, positions);
    records.pack_result(job_.out.data(), job_.args.head_size, job_.norm, result);
    return taken;
  }

 protected:
  virtual std::uint64_t cycles(int positions) = 0;
  virtual std::uint64_t compute(const hls::AttentionArgs& args, int positions) = 0;

 private:
  AttentionRecords::Job job_;  // reused from job to job
};

class HlsAttentionBackend final : public AttentionBackendBase {
 public:
  explicit HlsAttentionBackend(bool timed) : timed_(timed) {}

 protected:
  std::uint64_t cycles(int positions) override {
    return timed_ ? attention_job_cycles(positions) : 0;
  }
  std::uint64_t compute(const hls::AttentionArgs& args, int positions) override {
    try {
      hls::attention_or_throw(args);
    } catch (const hls::KernelError& e) {
      throw DeviceError(e.what());
    }
    return cycles(positions);
  }

 private:
  bool timed_;
};

}  // namespace

std::unique_ptr<GemmBackend> make_gemm_backend(const hls::HardwareConfig& config,
                                               const PlatformOptions& options) {
  return std::make_unique<HlsGemmBackend>(config, options.fidelity == Fidelity::kTlm);
}

std::unique_ptr<AttentionBackend> make_attention_backend(const PlatformOptions& options) {
  return std::make_unique<HlsAttentionBackend>(options.fidelity == Fidelity::kTlm);
}

}  // namespace tessera::sim
