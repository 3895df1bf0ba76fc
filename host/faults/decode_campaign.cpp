// tessera faults --workload decode: greedy generation on the accelerator through the
// runtime and the ICD, one fault per run, armed through cl_tessera_faults.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "faults/campaign.hpp"
#include "faults/device_faults.hpp"
#include "faults/host_glue_faults.hpp"
#include "runtime/device.hpp"
#include "runtime/generation.hpp"
#include "runtime/partitioned_device.hpp"
#include "tessera/models/checkpoint.hpp"
#include "tessera/models/model_paths.hpp"

namespace tessera::faults {
namespace {

// The preset as a configuration file with gemm_units.checksums as asked, for the ICD
// to list as a device ($TESSERA_DEVICES, docs/configs.md).
class DeviceConfigFile {
 public:
  DeviceConfigFile(const std::string& preset, bool checksums) {
    const std::filesystem::path source =
        hls::names_a_file(preset) ? std::filesystem::path(preset) : hls::preset_file(preset);
    hls::load_preset(preset);  // a clear error for a bad preset before anything else
    std::ifstream in(source);
    nlohmann::json json = nlohmann::json::parse(in);
    json["gemm_units"]["checksums"] = checksums;
    dir_ =
        std::filesystem::temp_directory_path() / ("tessera-faults-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = dir_ / (source.stem().string() + (checksums ? "-checksums" : "-unchecked") + ".json");
    std::ofstream(path_) << json.dump(2) << "\n";
  }
  ~DeviceConfigFile() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  DeviceConfigFile(const DeviceConfigFile&) = delete;
  DeviceConfigFile& operator=(const DeviceConfigFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path dir_, path_;
};

struct DecodeRun {
  std::string text;
  std::vector<int> tokens;
  std::uint64_t checksum_errors = 0, on_cpu = 0;
  bool check_passed = true;  // every op matched the int8 reference (--check)
  std::string error;         // the generation stopped with this error
};

class DecodeWorkload {
 public:
  DecodeWorkload(const DecodeCampaignOptions& o, const std::string& accelerator)
      : o_(o),
        checkpoint_(models::Checkpoint::load(o.model)),
        tokenizer_(models::tokenizer_for(checkpoint_, o.tokenizer)),
        accelerator_(accelerator) {
    const runtime::AcceleratorName name = runtime::parse_accelerator_name(accelerator);
    steps_ = std::min(o.steps, checkpoint_.config().seq_len);
    // Opening a device lists the configuration file with the ICD first.
    open();
    if (sim::info(o.site).on_host) {
      auto glue = std::make_unique<HostGlueFaults>();
      host_glue_ = glue.get();
      faults_ = std::move(glue);
    } else {
      faults_ = std::make_unique<DeviceFaults>(name.icd_device());
    }
  }

  // One greedy generation on a freshly opened device (weights uploaded again, so a
  // device-memory fault does not outlive its run); `arm` runs once the weights are
  // on the device, so the faults strike during decoding.
  template <typename Arm>
  DecodeRun run(Arm&& arm) {
    std::unique_ptr<runtime::Device> device = open();
    arm(faults());
    models::SamplerSettings greedy;
    greedy.temperature = 0.0f;
    greedy.seed = 1;
    models::Sampler sampler(checkpoint_.config().vocab_size, greedy);
    runtime::GenerationRequest request;
    request.prompt = o_.prompt;
    request.steps = steps_;
    std::ostringstream text;
    DecodeRun r;
    try {
      r.tokens = runtime::generate(*device, tokenizer_, sampler, request, text).tokens;
    } catch (const std::exception& e) {
      // A value a fault made invalid (a non-finite activation scale, say) is refused
      // by a check on the way: the run stops, as a real one would.
      r.error = e.what();
    }
    r.text = text.str();
    const auto stats = nlohmann::json::parse(device->statistics_json());
    r.checksum_errors = stats.at("recovery").at("checksum_errors").get<std::uint64_t>();
    r.on_cpu = stats.at("recovery").at("reexecuted_on_cpu").get<std::uint64_t>();
    r.check_passed = device->checks_passed();
    return r;
  }

  FaultHooks& faults() { return *faults_; }

 private:
  std::unique_ptr<runtime::Device> open() {
    runtime::PartitionOptions p;
    p.accelerator = accelerator_;
    p.place = "accel";
    p.check = true;
    if (host_glue_) {
      p.host_op_output = [glue = host_glue_](const char* op, int layer, Eigen::VectorXf& output) {
        glue->host_op_output(op, layer, output);
      };
    }
    return runtime::open_partitioned_device(checkpoint_, steps_, p);
  }

  const DecodeCampaignOptions& o_;
  models::Checkpoint checkpoint_;
  models::Tokenizer tokenizer_;
  std::string accelerator_;
  int steps_ = 0;
  std::unique_ptr<FaultHooks> faults_;
  HostGlueFaults* host_glue_ = nullptr;  // faults_, when the site is the runtime's host glue
};

void check_options(const DecodeCampaignOptions& o) {
  if (o.count < 1) throw std::invalid_argument("a campaign needs at least one fault");
  if (o.steps < 1) throw std::invalid_argument("--steps must be at least 1");
}

}  // namespace

CampaignReport run_decode_campaign(const DecodeCampaignOptions& o,
                                   const CampaignProgress& progress) {
  check_options(o);
  const auto began = std::chrono::steady_clock::now();
  const hls::HardwareConfig config = hls::load_preset(o.preset);
  const bool checksums = o.checksums.value_or(config.gemm.checksums);
  std::optional<DeviceConfigFile> file;
  std::string preset = o.preset;
  if (o.checksums) {
    file.emplace(o.preset, *o.checksums);
    preset = file->path().string();
  }
  DecodeWorkload workload(o, "accel:" + preset + ":" + o.fidelity);
  CampaignReport report =
      start_report("decode", config.name, o.fidelity, o.site, o.kind, checksums, o.seed);
  report.text_changed = 0;

  // The fault-free run: its text is the reference, and a fault armed for an event that
  // never comes counts the site's events.
  sim::FaultSpec counting;
  counting.site = o.site;
  counting.event = std::numeric_limits<std::uint64_t>::max();
  const DecodeRun clean = workload.run([&](FaultHooks& f) { f.arm(counting); });
  report.events = workload.faults().record().at("events").get<std::uint64_t>();
  workload.faults().disarm();
  report.text = clean.text;
  if (!clean.error.empty()) throw std::runtime_error(clean.error);
  if (clean.checksum_errors > 0 || !clean.check_passed) {
    throw std::runtime_error("the fault-free run disagrees with the int8 reference");
  }
  if (report.events == 0) {
    throw std::invalid_argument("the workload has no events for " + sim::to_string(o.site) +
                                " faults");
  }

  for (int i = 0; i < o.count; ++i) {
    const sim::FaultSpec spec = fault_spec(o.site, o.kind, o.seed, i, report.events);
    const DecodeRun faulty = workload.run([&](FaultHooks& f) { f.arm(spec); });
    const nlohmann::json record = workload.faults().record();
    workload.faults().disarm();
    FaultResult result;
    result.record.spec = spec;
    result.record.struck = record.at("struck").get<bool>();
    result.record.seconds = record.at("time_s").get<double>();
    result.record.where = record.at("where").get<std::string>();
    result.record.events = record.at("events").get<std::uint64_t>();
    result.error = faulty.error;
    result.text_changed = !faulty.error.empty() || faulty.text != clean.text;
    // The runtime re-executes what the device reports before the text is made: the
    // output seen is the recovered one.
    result.output_changed = !faulty.error.empty() || faulty.tokens != clean.tokens;
    result.cpu_fallback = faulty.on_cpu > 0;
    result.check_failed = !faulty.check_passed;
    if (!result.record.struck) {
      result.outcome = Outcome::kNotStruck;
    } else if (!faulty.error.empty()) {
      result.outcome = Outcome::kDetected;  // stopped by a check: no text, but no silent one
    } else if (faulty.checksum_errors > 0) {
      result.outcome = result.output_changed ? Outcome::kDetected : Outcome::kRecovered;
    } else {
      result.outcome = result.output_changed ? Outcome::kSilent : Outcome::kMasked;
    }
    count(report, result);
    if (progress) progress(i + 1, o.count);
  }
  report.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  return report;
}

}  // namespace tessera::faults
