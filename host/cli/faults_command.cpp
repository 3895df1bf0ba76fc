// tessera faults: a fault-injection campaign (docs/reliability.md). N single faults,
// each in a fresh run of the workload, each classified as masked, detected (and
// recovered) or silent against the fault-free run.
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "faults/campaign.hpp"
#include "tessera/hls/hardware_config.hpp"

namespace tessera::cli {
namespace {

struct FaultsOptions {
  std::string workload = "gemm";
  std::string preset = "kv260";
  std::string fidelity = "tlm";
  std::string site;
  std::string kind = "flip";
  std::string checksums;  // "on", "off", or empty: the preset's
  int count = 100;
  std::uint64_t seed = 1;
  bool no_recover = false;
  int m = 128, n = 128, k = 256;
  bool json = false;
  bool quiet = false;
};

std::string site_help() {
  std::string help = "where the faults strike:";
  for (const sim::FaultSiteInfo& info : sim::fault_sites()) {
    help += std::string("\n  ") + info.name + ": " + info.meaning;
  }
  return help;
}

std::vector<std::string> site_names() {
  std::vector<std::string> names;
  for (const sim::FaultSiteInfo& info : sim::fault_sites()) names.emplace_back(info.name);
  return names;
}

int run_faults(const FaultsOptions& o) {
  faults::CampaignOptions c;
  c.config = hls::load_preset(o.preset);
  if (!o.checksums.empty()) c.config.gemm.checksums = o.checksums == "on";
  c.fidelity = sim::parse_fidelity(o.fidelity);
  c.site = sim::parse_fault_site(o.site);
  c.kind = sim::parse_bit_fault(o.kind);
  c.count = o.count;
  c.seed = o.seed;
  c.recover = !o.no_recover;
  c.m = o.m;
  c.n = o.n;
  c.k = o.k;
  // The bar starts with the first fault, after the fault-free run has vetted the
  // options, so a refused campaign prints only its error.
  std::unique_ptr<Progress> bar;
  const faults::CampaignReport report = faults::run_gemm_campaign(c, [&](int done, int total) {
    if (o.quiet) return;
    if (!bar) bar = std::make_unique<Progress>("faults", total);
    bar->update(done);
  });
  bar.reset();
  std::cout << (o.json ? faults::to_json(report) + "\n" : faults::to_text(report));
  return 0;
}

}  // namespace

Command add_faults_command(CLI::App& app) {
  auto o = std::make_shared<FaultsOptions>();
  CLI::App* command = app.add_subcommand(
      "faults",
      "Fault-injection campaign: --count single faults at --site, each in a fresh run of the "
      "workload on the simulated device, classified as masked, detected (recovered by "
      "re-execution) or silent data corruption");
  command->add_option("--workload", o->workload, "gemm: C = A W^T of --m x --n x --k")
      ->capture_default_str()
      ->check(CLI::IsMember({"gemm"}));
  command->add_option("--preset", o->preset, "hardware preset or config file")
      ->capture_default_str();
  command->add_option("--fidelity", o->fidelity, "func or tlm (engine faults need the C models)")
      ->capture_default_str()
      ->check(CLI::IsMember({"func", "tlm", "rtl"}));
  command->add_option("--site", o->site, site_help())
      ->required()
      ->check(CLI::IsMember(site_names()));
  command->add_option("--kind", o->kind, "flip (single-event upset), stuck0 or stuck1")
      ->capture_default_str()
      ->check(CLI::IsMember({"flip", "stuck0", "stuck1"}));
  command->add_option("--count", o->count, "faults to inject")
      ->capture_default_str()
      ->check(at_least(1));
  command->add_option("--seed", o->seed, "the campaign's seed: the same seed, the same campaign")
      ->capture_default_str();
  command
      ->add_option("--checksums", o->checksums,
                   "the GEMM engines' Huang-Abraham checksums (default: the preset's)")
      ->check(CLI::IsMember({"on", "off"}));
  command->add_flag("--no-recover", o->no_recover,
                    "report detected faults without re-executing their work");
  command->add_option("--m", o->m, "gemm: rows of A")->capture_default_str()->check(at_least(1));
  command->add_option("--n", o->n, "gemm: rows of W")->capture_default_str()->check(at_least(1));
  command->add_option("--k", o->k, "gemm: reduction length")
      ->capture_default_str()
      ->check(at_least(1));
  command->add_flag("--json", o->json,
                    "one JSON object: injected, masked, detected, recovered, silent, faults");
  command->add_flag("-q,--quiet", o->quiet, "no progress on stderr");
  return {command, [o] { return run_faults(*o); }};
}

}  // namespace tessera::cli
