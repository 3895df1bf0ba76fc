// tessera faults: a fault-injection campaign (docs/reliability.md). N single faults,
// each in a fresh run of the workload, each classified as masked, detected (and
// recovered) or silent against the fault-free run.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "faults/campaign.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/models/model_paths.hpp"

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
  std::string model = "stories260K.bin";
  std::optional<std::filesystem::path> tokenizer, model_dir;
  std::string prompt;
  int steps = 24;
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

faults::CampaignReport run_decode(const FaultsOptions& o,
                                  const faults::CampaignProgress& progress) {
  if (o.no_recover) {
    throw CLI::ValidationError(
        "--no-recover: the runtime always re-executes what the device "
        "reports (decode); --workload gemm reports without it");
  }
  faults::DecodeCampaignOptions d;
  d.preset = o.preset;
  if (!o.checksums.empty()) d.checksums = o.checksums == "on";
  d.fidelity = o.fidelity;
  const models::ModelDirectory dir = models::find_model_directory(o.model_dir);
  d.model = models::resolve_model_file(o.model, dir);
  if (o.tokenizer) d.tokenizer = models::resolve_model_file(*o.tokenizer, dir);
  d.prompt = o.prompt;
  d.steps = o.steps;
  d.site = sim::parse_fault_site(o.site);
  d.kind = sim::parse_bit_fault(o.kind);
  d.count = o.count;
  d.seed = o.seed;
  return faults::run_decode_campaign(d, progress);
}

faults::CampaignReport run_gemm(const FaultsOptions& o, const faults::CampaignProgress& progress) {
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
  return faults::run_gemm_campaign(c, progress);
}

int run_faults(const FaultsOptions& o) {
  // The bar starts with the first fault, after the fault-free run has vetted the
  // options, so a refused campaign prints only its error.
  std::unique_ptr<Progress> bar;
  const faults::CampaignProgress progress = [&](int done, int total) {
    if (o.quiet) return;
    if (!bar) bar = std::make_unique<Progress>("faults", total);
    bar->update(done);
  };
  const faults::CampaignReport report =
      o.workload == "decode" ? run_decode(o, progress) : run_gemm(o, progress);
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
  command
      ->add_option("--workload", o->workload,
                   "gemm: C = A W^T of --m x --n x --k on the simulated platform; decode: "
                   "greedy generation of --model through the runtime and the OpenCL ICD")
      ->capture_default_str()
      ->check(CLI::IsMember({"gemm", "decode"}));
  command->add_option("--preset", o->preset, "hardware preset or config file")
      ->capture_default_str();
  command
      ->add_option("--fidelity", o->fidelity,
                   "func, tlm or rtl (the Verilated accelerator top, with checksums if the "
                   "preset has them: a board file whose top the build verilates)")
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
  command->add_option("--model", o->model, "decode: llama2.c or GGUF model (name or path)")
      ->capture_default_str();
  command->add_option("-z,--tokenizer", o->tokenizer, "decode: tokenizer (default: the model's)");
  command->add_option("--model-dir", o->model_dir, "folder to look up model names in");
  command->add_option("-i,--prompt", o->prompt, "decode: the prompt");
  command->add_option("--steps", o->steps, "decode: positions per run, prompt included")
      ->capture_default_str()
      ->check(at_least(1));
  command->add_flag("--json", o->json,
                    "one JSON object: injected, masked, detected, recovered, silent "
                    "(decode: text_changed), faults");
  command->add_flag("-q,--quiet", o->quiet, "no progress on stderr");
  return {command, [o] { return run_faults(*o); }};
}

}  // namespace tessera::cli
