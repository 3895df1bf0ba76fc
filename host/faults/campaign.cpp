#include "faults/campaign.hpp"

#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>

#include "tessera/hls/kernels.hpp"
#include "tessera/models/int8_reference.hpp"
#include "tessera/sim/platform_driver.hpp"

namespace tessera::faults {
namespace {

std::size_t sz(int n) { return static_cast<std::size_t>(n); }

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::vector<std::int8_t> random_int8(std::size_t count, std::mt19937_64& rng) {
  std::vector<std::int8_t> values(count);
  for (std::int8_t& v : values) v = static_cast<std::int8_t>(static_cast<int>(rng() % 256) - 128);
  return values;
}

// One fresh run of the GEMM on the device: weights up, A up, results back, every
// buffer released (so a device-memory fault does not outlive its run).
class GemmWorkload {
 public:
  explicit GemmWorkload(const CampaignOptions& o)
      : o_(o), platform_(o.config, {o.fidelity, true, "", {}}), driver_(platform_) {
    std::mt19937_64 rng(o.seed);
    a_ = random_int8(sz(o.m) * sz(o.k), rng);
    w_ = random_int8(sz(o.n) * sz(o.k), rng);
    // The independent side: the nested-loop int8 reference.
    golden_ = models::int8_reference::gemm(a_, w_, o.m, o.n, o.k);
  }

  struct Run {
    std::vector<std::int32_t> c;
    bool reported = false;  // the device's checksums failed
  };
  Run run() {
    Run r;
    r.c.assign(sz(o_.m) * sz(o_.n), 0);
    const auto weights = driver_.upload_weights(w_.data(), o_.n, o_.k);
    hls::GemmArgs g;
    g.a = a_.data();
    g.m = o_.m;
    g.n = o_.n;
    g.k = o_.k;
    g.c_int32 = r.c.data();
    try {
      driver_.gemm(g, weights);
    } catch (const sim::ChecksumError&) {
      r.reported = true;
    }
    driver_.release_scratch();
    platform_.release(weights.address);
    return r;
  }

  // The CPU fallback: the host's fast int8 kernel.
  std::vector<std::int32_t> on_cpu() const {
    std::vector<std::int32_t> c(sz(o_.m) * sz(o_.n), 0);
    hls::GemmArgs g;
    g.a = a_.data();
    g.w = w_.data();
    g.m = o_.m;
    g.n = o_.n;
    g.k = o_.k;
    g.c_int32 = c.data();
    hls::fast_gemm_or_throw(g);
    return c;
  }

  sim::Platform& platform() { return platform_; }
  const std::vector<std::int32_t>& golden() const { return golden_; }

 private:
  const CampaignOptions& o_;
  sim::Platform platform_;
  sim::PlatformDriver driver_;
  std::vector<std::int8_t> a_, w_;
  std::vector<std::int32_t> golden_;
};

void check_options(const CampaignOptions& o) {
  if (o.count < 1) throw std::invalid_argument("a campaign needs at least one fault");
  if (o.m < 1 || o.n < 1 || o.k < 1) {
    throw std::invalid_argument("the GEMM's M, N and K must be positive");
  }
}

}  // namespace

void count(CampaignReport& report, const FaultResult& result) {
  report.faults.push_back(result);
  if (result.outcome == Outcome::kNotStruck) return;
  ++report.injected;
  if (result.text_changed) report.text_changed = report.text_changed.value_or(0) + 1;
  if (result.check_failed) ++report.check_failed;
  switch (result.outcome) {
    case Outcome::kMasked:
      ++report.masked;
      break;
    case Outcome::kRecovered:
      ++report.recovered;
      ++report.detected;
      break;
    case Outcome::kDetected:
      ++report.detected;
      break;
    case Outcome::kSilent:
      ++report.silent;
      break;
    case Outcome::kNotStruck:
      break;
  }
}

CampaignReport start_report(const std::string& workload, const std::string& preset,
                            const std::string& fidelity, sim::FaultSite site, hls::BitFault kind,
                            bool checksums, std::uint64_t seed) {
  CampaignReport report;
  report.workload = workload;
  report.preset = preset;
  report.fidelity = fidelity;
  report.site = sim::to_string(site);
  report.within_checksums = sim::info(site).in_engine;
  report.kind = sim::to_string(kind);
  report.checksums = checksums;
  report.seed = seed;
  return report;
}

sim::FaultSpec fault_spec(sim::FaultSite site, hls::BitFault kind, std::uint64_t seed, int index,
                          std::uint64_t events) {
  sim::FaultSpec spec;
  spec.site = site;
  spec.kind = kind;
  spec.seed = fault_seed(seed, index);
  spec.event = splitmix64(spec.seed) % events;
  return spec;
}

std::string to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kMasked:
      return "masked";
    case Outcome::kDetected:
      return "detected";
    case Outcome::kRecovered:
      return "recovered";
    case Outcome::kSilent:
      return "silent";
    case Outcome::kNotStruck:
      return "not_struck";
  }
  return "?";
}

std::uint64_t fault_seed(std::uint64_t seed, int index) {
  return splitmix64(splitmix64(seed) ^ static_cast<std::uint64_t>(index));
}

CampaignReport run_gemm_campaign(const CampaignOptions& o, const CampaignProgress& progress) {
  check_options(o);
  const auto began = std::chrono::steady_clock::now();
  CampaignReport report = start_report("gemm", o.config.name, sim::to_string(o.fidelity), o.site,
                                       o.kind, o.config.gemm.checksums, o.seed);
  GemmWorkload workload(o);

  // A fault-free run, armed with a fault that never strikes: it counts the site's
  // events, and the device must agree with the reference before anything is blamed
  // on a fault.
  sim::FaultSpec counting;
  counting.site = o.site;
  counting.event = std::numeric_limits<std::uint64_t>::max();
  workload.platform().arm_fault(counting);
  const GemmWorkload::Run clean = workload.run();
  report.events = workload.platform().take_fault()->events;
  if (clean.reported || clean.c != workload.golden()) {
    throw std::runtime_error("the fault-free run disagrees with the int8 reference");
  }
  if (report.events == 0) {
    throw std::invalid_argument("the workload has no events for " + sim::to_string(o.site) +
                                " faults");
  }

  for (int i = 0; i < o.count; ++i) {
    workload.platform().arm_fault(fault_spec(o.site, o.kind, o.seed, i, report.events));
    const GemmWorkload::Run faulty = workload.run();
    FaultResult result;
    result.record = *workload.platform().take_fault();
    result.output_changed = faulty.c != workload.golden();
    if (!result.record.struck) {
      result.outcome = Outcome::kNotStruck;
    } else if (!faulty.reported) {
      result.outcome = result.output_changed ? Outcome::kSilent : Outcome::kMasked;
    } else if (!o.recover) {
      result.outcome = Outcome::kDetected;
    } else {
      // Again on the device (a transient fault is gone), then on the CPU.
      const GemmWorkload::Run again = workload.run();
      std::vector<std::int32_t> c = again.c;
      if (again.reported) {
        c = workload.on_cpu();
        result.cpu_fallback = true;
      }
      result.outcome = c == workload.golden() ? Outcome::kRecovered : Outcome::kDetected;
    }
    count(report, result);
    if (progress) progress(i + 1, o.count);
  }
  report.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  return report;
}

std::string to_json(const CampaignReport& r, int indent) {
  nlohmann::ordered_json faults = nlohmann::ordered_json::array();
  for (const FaultResult& f : r.faults) {
    faults.push_back({{"site", sim::to_string(f.record.spec.site)},
                      {"kind", sim::to_string(f.record.spec.kind)},
                      {"event", f.record.spec.event},
                      {"seed", f.record.spec.seed},
                      {"struck", f.record.struck},
                      {"time_s", f.record.seconds},
                      {"where", f.record.where},
                      {"output_changed", f.output_changed},
                      {"outcome", to_string(f.outcome)},
                      {"cpu_fallback", f.cpu_fallback}});
    if (r.text_changed) {
      faults.back()["text_changed"] = f.text_changed;
      faults.back()["check_failed"] = f.check_failed;
      if (!f.error.empty()) faults.back()["error"] = f.error;
    }
  }
  nlohmann::ordered_json json = {{"workload", r.workload},
                                 {"preset", r.preset},
                                 {"fidelity", r.fidelity},
                                 {"site", r.site},
                                 {"within_checksums", r.within_checksums},
                                 {"kind", r.kind},
                                 {"checksums", r.checksums},
                                 {"seed", r.seed},
                                 {"events", r.events},
                                 {"injected", r.injected},
                                 {"masked", r.masked},
                                 {"detected", r.detected},
                                 {"recovered", r.recovered},
                                 {"silent", r.silent}};
  if (r.text_changed) {
    json["text_changed"] = *r.text_changed;
    json["check_failed"] = r.check_failed;
    json["text"] = r.text;
  }
  json["wall_seconds"] = r.wall_seconds;
  json["faults"] = faults;
  return json.dump(indent);
}

std::string to_text(const CampaignReport& r) {
  std::ostringstream out;
  auto share = [&](int n) {
    std::ostringstream s;
    s.precision(1);
    s << std::fixed << (r.injected > 0 ? 100.0 * n / r.injected : 0.0) << " %";
    return s.str();
  };
  out << r.workload << " on " << r.preset << " at " << r.fidelity << ", " << r.site << " " << r.kind
      << " faults, checksums " << (r.checksums ? "on" : "off") << ", seed " << r.seed << "\n";
  out << "  injected   " << r.injected << "\n";
  out << "  masked     " << r.masked << "  (" << share(r.masked) << ")\n";
  out << "  detected   " << r.detected << "  (" << share(r.detected) << "), recovered "
      << r.recovered << "\n";
  out << "  silent     " << r.silent << "  (" << share(r.silent) << ")\n";
  if (r.text_changed) {
    out << "  text changed " << *r.text_changed << "  (" << share(*r.text_changed) << ")\n";
    out << "  --check failed " << r.check_failed << "  (" << share(r.check_failed) << ")\n";
  }
  return out.str();
}

}  // namespace tessera::faults
