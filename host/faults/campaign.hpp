#pragma once

// Fault-injection campaigns (tessera faults, docs/reliability.md): N single faults,
// each in a fresh run of one workload, each classified against the fault-free run.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tessera/hls/hardware_config.hpp"
#include "tessera/sim/faults.hpp"
#include "tessera/sim/platform.hpp"

namespace tessera::faults {

enum class Outcome {
  kMasked,     // nothing reported, output identical
  kDetected,   // reported by the device's checks (re-execution did not restore it)
  kRecovered,  // reported, re-executed, output identical
  kSilent,     // nothing reported, output wrong: silent data corruption
  kNotStruck,  // its event never came (only when asked for events past the run)
};
std::string to_string(Outcome outcome);

struct CampaignOptions {
  hls::HardwareConfig config;  // its gemm.checksums as the campaign asks
  sim::Fidelity fidelity = sim::Fidelity::kTlm;
  sim::FaultSite site = sim::FaultSite::kAccumulator;
  hls::BitFault kind = hls::BitFault::kFlip;
  int count = 100;
  std::uint64_t seed = 1;
  bool recover = true;  // re-execute what the device reports: on the device, then the CPU
  // The gemm workload: C = A W^T with A M x K and W N x K, random from the seed.
  int m = 128, n = 128, k = 256;
};

// The decode workload: greedy generation from a model on the accelerator (every
// block placed there) through the runtime and the OpenCL ICD, which recovers what
// the device reports (docs/runtime.md).
struct DecodeCampaignOptions {
  std::string preset = "kv260";   // a preset name or configuration file
  std::optional<bool> checksums;  // set: the preset with gemm_units.checksums so
  std::string fidelity = "tlm";   // func, tlm or rtl
  std::filesystem::path model;    // llama2.c or GGUF
  std::optional<std::filesystem::path> tokenizer;
  std::string prompt;
  int steps = 24;  // positions per run, prompt included
  sim::FaultSite site = sim::FaultSite::kAccumulator;
  hls::BitFault kind = hls::BitFault::kFlip;
  int count = 100;
  std::uint64_t seed = 1;
};

struct FaultResult {
  sim::FaultRecord record;
  Outcome outcome = Outcome::kMasked;
  bool output_changed = false;  // the faulty run's output, before any re-execution
  bool cpu_fallback = false;    // recovered on the CPU after the device failed again
  bool text_changed = false;    // decode: the generated text differs from the fault-free run
  bool check_failed = false;    // decode: an op the runtime kept differs from the int8 reference
  std::string error;            // decode: the run stopped with this error (a check refused it)
};

struct CampaignReport {
  std::string workload;
  std::string preset;
  std::string fidelity;
  std::string site;
  bool within_checksums = false;  // the site lies inside the GEMM engines, where checksums reach
  std::string kind;
  bool checksums = false;
  std::uint64_t seed = 0;
  std::uint64_t events = 0;  // events of the site's kind in one fault-free run
  int injected = 0, masked = 0, detected = 0, recovered = 0, silent = 0;
  std::optional<int> text_changed;  // decode: runs whose generated text changed
  int check_failed = 0;             // decode: runs where --check found a wrong op
  std::string text;                 // decode: the fault-free run's text
  std::vector<FaultResult> faults;
  double wall_seconds = 0;
};

// Called after each fault with (done, total).
using CampaignProgress = std::function<void(int done, int total)>;

CampaignReport run_gemm_campaign(const CampaignOptions& options, const CampaignProgress& progress);
CampaignReport run_decode_campaign(const DecodeCampaignOptions& options,
                                   const CampaignProgress& progress);

std::string to_json(const CampaignReport& report, int indent = 2);
// A short table for a terminal.
std::string to_text(const CampaignReport& report);

// Tallies one fault into the report.
void count(CampaignReport& report, const FaultResult& result);
// A report with the campaign's settings and nothing counted.
CampaignReport start_report(const std::string& workload, const std::string& preset,
                            const std::string& fidelity, sim::FaultSite site, hls::BitFault kind,
                            bool checksums, std::uint64_t seed);
// The event the fault `index` of a campaign strikes at, of `events` in a run.
sim::FaultSpec fault_spec(sim::FaultSite site, hls::BitFault kind, std::uint64_t seed, int index,
                          std::uint64_t events);

// The seed of fault `index` of a campaign seeded `seed` (SplitMix64 of both): every
// fault draws its own place, independent of the others.
std::uint64_t fault_seed(std::uint64_t seed, int index);

}  // namespace tessera::faults
