#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include "cli/commands.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/models/int8_reference.hpp"
#include "tessera/sim/gemm_cycle_model.hpp"
#include "tessera/sim/platform.hpp"
#include "tessera/sim/rtl_gemm.hpp"

namespace tessera::cli {
namespace {

struct GemmBenchOptions {
  std::string fidelity = "rtl";
  int m = 256, n = 256, k = 256;
  hls::ArrayShape array = hls::kDefaultArray;
  double stream_bytes_per_cycle = 0.0;  // 0: operands already in the on-chip buffers
  std::uint32_t seed = 1;
  std::string fst;
  std::string fst_window;
  std::string preset;        // sets the array and the buffer depth; empty: the co-verified engine's
  int rtl_buffer_words = 0;  // the preset's, for the rtl engine; 0: the co-verified one
  bool json = false;
  bool allow_long = false;  // run even when the estimate is over an hour
};

std::vector<std::int8_t> random_int8(std::size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<std::int8_t> v(n);
  for (auto& x : v) x = static_cast<std::int8_t>(d(rng));
  return v;
}

std::uint64_t checksum(const std::vector<std::int32_t>& c) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a over the int32 results
  for (std::int32_t v : c) {
    for (int b = 0; b < 4; ++b) {
      h ^= (static_cast<std::uint32_t>(v) >> (8 * b)) & 0xffu;
      h *= 1099511628211ull;
    }
  }
  return h;
}

// How long the request would take on this machine: a 64x64x64 GEMM of the same
// fidelity timed now, scaled by the MACs (the C model's and the engine's work both
// grow with them).
double estimate_seconds(const GemmBenchOptions& o) {
  using Clock = std::chrono::steady_clock;
  constexpr int kProbe = 64;
  std::mt19937 rng(1);
  const auto a = random_int8(kProbe * kProbe, rng), w = random_int8(kProbe * kProbe, rng);
  const auto start = Clock::now();
  if (o.fidelity == "rtl") {
    sim::RtlStreamOptions stream;
    stream.preload_operands = true;
    sim::make_rtl_gemm(o.array, o.rtl_buffer_words)
        ->gemm(a.data(), w.data(), kProbe, kProbe, kProbe, stream);
  } else {
    std::vector<std::int32_t> c(kProbe * kProbe);
    hls::GemmArgs g;
    g.a = a.data();
    g.w = w.data();
    g.m = g.n = g.k = kProbe;
    g.c_int32 = c.data();
    hls::gemm_or_throw(o.array, g);
  }
  const double probe = std::chrono::duration<double>(Clock::now() - start).count();
  return probe * (static_cast<double>(o.m) * o.n * o.k) / (double{kProbe} * kProbe * kProbe);
}

// Requests of more than a minute are announced with their estimate; of more than an
// hour refused unless --allow-long says so.
void check_duration(const GemmBenchOptions& o) {
  const double seconds = estimate_seconds(o);
  if (seconds > 3600 && !o.allow_long) {
    throw CLI::ValidationError("bench gemm", "this GEMM would take about " +
                                                 std::to_string(static_cast<long>(seconds / 3600)) +
                                                 " h at " + o.fidelity +
                                                 " on this machine; --allow-long runs it anyway");
  }
  if (seconds > 60) {
    std::fprintf(stderr, "bench gemm: about %.0f s at %s on this machine\n", seconds,
                 o.fidelity.c_str());
  }
}

int run_gemm_bench(GemmBenchOptions o) {
  using Clock = std::chrono::steady_clock;
  if (!o.fst.empty() && o.fidelity != "rtl") {
    throw CLI::ValidationError("--fst",
                               "writes the Verilated engine's waveform: only with --fidelity rtl");
  }
  const sim::WaveformWindow fst_window = fst_window_option(o.fst, o.fst_window);
  int buffer_words = TESSERA_RTL_BUFFER_WORDS;  // the co-verified engines' operand buffers
  double clock_mhz = 300;                       // the presets' clock, for the waveform's time axis
  std::string label = "verilated engine's buffers";
  if (!o.preset.empty()) {
    const hls::HardwareConfig config = hls::load_preset(o.preset);
    buffer_words = config.gemm.buffer_words;
    o.rtl_buffer_words = buffer_words;
    clock_mhz = config.clock_mhz;
    o.array = config.array();
    label = "preset " + config.name;
  }
  // The engine runs K in one pass through its operand buffers; the C model alone
  // takes any K the numeric contract allows.
  if (o.fidelity != "func") {
    const int depth = o.fidelity == "rtl"
                          ? sim::make_rtl_gemm(o.array, o.rtl_buffer_words)->buffer_words()
                          : buffer_words;
    if (o.k > depth) {
      throw CLI::ValidationError("-k", "K = " + std::to_string(o.k) + " exceeds the " +
                                           std::to_string(depth) + "-word operand buffers (" +
                                           label + "); func takes K up to 65536");
    }
  }
  check_duration(o);
  std::mt19937 rng(o.seed);
  const auto a = random_int8(static_cast<std::size_t>(o.m) * static_cast<std::size_t>(o.k), rng);
  const auto w = random_int8(static_cast<std::size_t>(o.n) * static_cast<std::size_t>(o.k), rng);
  std::vector<std::int32_t> hls_c(static_cast<std::size_t>(o.m) * static_cast<std::size_t>(o.n));
  hls::GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  g.m = o.m;
  g.n = o.n;
  g.k = o.k;
  g.c_int32 = hls_c.data();
  const auto hls_start = Clock::now();
  hls::gemm_or_throw(o.array, g);
  const double hls_seconds = std::chrono::duration<double>(Clock::now() - hls_start).count();
  const double macs = static_cast<double>(o.m) * o.n * o.k;
  // The independent side of every fidelity's result: the nested-loop int8 reference
  // (skipped above 2^30 MACs, where it would take as long as the run itself).
  std::vector<std::int32_t> reference_c;
  if (macs <= static_cast<double>(1u << 30)) {
    reference_c = models::int8_reference::gemm(a, w, o.m, o.n, o.k);
  }
  auto matches_reference = [&](const std::vector<std::int32_t>& c) -> const char* {
    if (reference_c.empty() && macs > 0) return "null";
    return c == reference_c ? "true" : "false";
  };
  const char* reference = matches_reference(hls_c);

  if (o.fidelity == "tlm") {
    // The HLS model's result timed by the cycle model of the RTL engine.
    const bool preloaded = o.stream_bytes_per_cycle <= 0.0;
    const double words_per_cycle =
        preloaded ? 1.0 : o.stream_bytes_per_cycle / (o.array.rows + o.array.cols);
    const sim::GemmTiming t =
        sim::gemm_timing(o.array, buffer_words, o.m, o.n, o.k, preloaded, words_per_cycle);
    const std::uint64_t cycles = preloaded ? t.compute_cycles : t.total_cycles;
    const double utilization =
        macs / (static_cast<double>(o.array.rows) * o.array.cols * static_cast<double>(cycles));
    if (o.json) {
      std::printf(
          "{\"fidelity\": \"tlm\", \"array\": \"%s\", \"m\": %d, \"n\": %d, \"k\": %d, "
          "\"operands\": \"%s\", \"cycles\": %llu, \"useful_macs\": %.0f, "
          "\"mac_utilization\": %.6f, \"jobs\": %d, \"checksum\": \"%016llx\", "
          "\"matches_reference\": %s}\n",
          hls::to_string(o.array).c_str(), o.m, o.n, o.k, preloaded ? "on_chip" : "streamed",
          static_cast<unsigned long long>(cycles), macs, utilization, t.jobs,
          static_cast<unsigned long long>(checksum(hls_c)), reference);
    } else {
      std::printf(
          "fidelity tlm (HLS model timed by the engine's cycle model, %s), array %s, %dx%dx%d\n",
          label.c_str(), hls::to_string(o.array).c_str(), o.m, o.n, o.k);
      std::printf("cycles %llu, useful MACs %.0f, mac_utilization %.4f, jobs %d\n",
                  static_cast<unsigned long long>(cycles), macs, utilization, t.jobs);
    }
    return 0;
  }

  if (o.fidelity == "func") {
    if (o.json) {
      std::printf(
          "{\"fidelity\": \"func\", \"array\": \"%s\", \"m\": %d, \"n\": %d, \"k\": %d, "
          "\"useful_macs\": %.0f, \"checksum\": \"%016llx\", \"matches_reference\": %s, "
          "\"wall_seconds\": %.6f}\n",
          hls::to_string(o.array).c_str(), o.m, o.n, o.k, macs,
          static_cast<unsigned long long>(checksum(hls_c)), reference, hls_seconds);
    } else {
      std::printf("fidelity func (HLS C model, untimed), array %s, %dx%dx%d\n",
                  hls::to_string(o.array).c_str(), o.m, o.n, o.k);
      std::printf("useful MACs %.0f, result checksum %016llx, wall %.3f s\n", macs,
                  static_cast<unsigned long long>(checksum(hls_c)), hls_seconds);
    }
    return 0;
  }

  auto rtl = sim::make_rtl_gemm(o.array, o.rtl_buffer_words);
  sim::RtlStreamOptions stream;
  stream.seed = o.seed;
  stream.fst_path = o.fst;
  stream.fst_window = fst_window;
  stream.clock_mhz = clock_mhz;
  stream.preload_operands = o.stream_bytes_per_cycle <= 0.0;
  if (!stream.preload_operands) {
    // Each operand stream carries one word (array-edge bytes) per accepted beat.
    stream.operand_valid_rate = o.stream_bytes_per_cycle / (o.array.rows + o.array.cols);
  }
  const auto start = Clock::now();
  const sim::RtlGemmResult r = rtl->gemm(a.data(), w.data(), o.m, o.n, o.k, stream);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  rtl.reset();  // closes the waveform
  if (!o.fst.empty()) std::fprintf(stderr, "wrote %s\n", o.fst.c_str());
  const std::uint64_t measured = stream.preload_operands ? r.compute_cycles : r.cycles;
  const double utilization =
      macs / (static_cast<double>(o.array.rows) * o.array.cols * static_cast<double>(measured));
  const bool matches = r.c == hls_c;
  // Every clock the call simulated, the preloading job included.
  const double sim_rate = static_cast<double>(r.simulated_cycles) / seconds;
  if (o.json) {
    std::printf(
        "{\"fidelity\": \"rtl\", \"array\": \"%s\", \"m\": %d, \"n\": %d, \"k\": %d, "
        "\"operands\": \"%s\", \"stream_bytes_per_cycle\": %.3f, \"cycles\": %llu, "
        "\"useful_macs\": %.0f, \"mac_utilization\": %.6f, \"stall_cycles\": %llu, "
        "\"jobs\": %d, \"matches_hls\": %s, \"matches_reference\": %s, \"checksum\": "
        "\"%016llx\", \"wall_seconds\": %.6f, "
        "\"sim_cycles_per_second\": %.0f}\n",
        hls::to_string(o.array).c_str(), o.m, o.n, o.k,
        stream.preload_operands ? "on_chip" : "streamed", o.stream_bytes_per_cycle,
        static_cast<unsigned long long>(measured), macs, utilization,
        static_cast<unsigned long long>(r.stall_cycles), r.jobs, matches ? "true" : "false",
        matches_reference(r.c), static_cast<unsigned long long>(checksum(r.c)), seconds, sim_rate);
  } else {
    std::printf("fidelity rtl (Verilated engine), array %s, %dx%dx%d, operands %s\n",
                hls::to_string(o.array).c_str(), o.m, o.n, o.k,
                stream.preload_operands ? "already on chip" : "streamed");
    std::printf("cycles %llu, useful MACs %.0f, mac_utilization %.4f, stalls %llu, jobs %d\n",
                static_cast<unsigned long long>(measured), macs, utilization,
                static_cast<unsigned long long>(r.stall_cycles), r.jobs);
    std::printf("matches HLS model: %s; simulated %.2f M cycles/s (wall %.3f s)\n",
                matches ? "yes" : "NO", sim_rate / 1e6, seconds);
  }
  return matches ? 0 : 1;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto options = std::make_shared<GemmBenchOptions>();
  CLI::App* bench = app.add_subcommand("bench", "Measure the accelerator models");
  bench->require_subcommand(1);
  CLI::App* gemm = bench->add_subcommand(
      "gemm",
      "One int8 GEMM C = A * W^T (random operands) through the Verilated engine "
      "(--fidelity rtl: cycles, utilization, simulation speed), the cycle model (tlm) or the "
      "HLS C model alone (func)");
  gemm->add_option("--fidelity", options->fidelity,
                   "rtl (Verilated engine), tlm (HLS model + cycle model) or func (HLS C model, "
                   "untimed)")
      ->capture_default_str()
      ->check(CLI::IsMember({"func", "tlm", "rtl"}));
  CLI::Option* array = add_array_option(*gemm, &options->array);
  gemm->add_option("--preset", options->preset,
                   "hardware preset or config file: its array and operand buffer depth (the "
                   "rtl engine built for it, the tlm cycle model)")
      ->excludes(array);
  gemm->add_option("-m", options->m, "rows of A and C")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 16));
  gemm->add_option("-n", options->n, "rows of W, columns of C")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 16));
  gemm->add_option("-k", options->k,
                   "reduction length (tlm and rtl: up to the operand buffer depth)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 16));
  gemm->add_option("--stream-bytes-per-cycle", options->stream_bytes_per_cycle,
                   "stream operands in at this many bytes per cycle instead of starting with "
                   "them in the on-chip buffers")
      ->check(positive_number());
  gemm->add_option("--seed", options->seed, "operand seed")->capture_default_str();
  gemm->add_option("--fst", options->fst, "write an FST waveform of the rtl run to this file")
      ->check(writable_file());
  gemm->add_option("--fst-window", options->fst_window,
                   "keep only clock cycles START:STOP of the run in the waveform (either end "
                   "may be left out)")
      ->check(waveform_window());
  gemm->add_flag("--json", options->json, "print one JSON object");
  gemm->add_flag("--allow-long", options->allow_long,
                 "run even when the estimate for this machine is over an hour");
  const ModelBenchCommands model = add_model_bench_commands(*bench);
  const Command memory = add_memory_bench_command(*bench);
  return {bench, [options, gemm, model, memory] {
            if (gemm->parsed()) return run_gemm_bench(*options);
            if (memory.parser->parsed()) return memory.action();
            return model.run();
          }};
}

}  // namespace tessera::cli
