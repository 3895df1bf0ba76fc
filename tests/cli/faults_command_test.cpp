// tessera faults: a campaign's JSON, its determinism, what checksums change, and the
// options it refuses.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/model_files.hpp"
#include "support/subprocess.hpp"

namespace tessera::testing {
namespace {

using testing::real_model_file;

ProcessResult tessera(const std::vector<std::string>& args) {
  return run_process(TESSERA_BINARY, args);
}

nlohmann::json campaign(const std::string& site, const std::string& checksums,
                        const std::string& seed = "7") {
  const ProcessResult r =
      tessera({"faults", "--site", site, "--count", "40", "--seed", seed, "--checksums", checksums,
               "--m", "32", "--n", "32", "--k", "64", "--json", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  return nlohmann::json::parse(r.out);
}

TEST(CliFaults, JsonCountsAddUpAndEachFaultSaysWhereItStruck) {
  const nlohmann::json j = campaign("accumulator", "on");
  for (const char* key :
       {"workload", "preset", "fidelity", "site", "kind", "checksums", "seed", "events", "injected",
        "masked", "detected", "recovered", "silent", "faults"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.at("injected"), 40);
  EXPECT_TRUE(j.at("within_checksums").get<bool>());
  EXPECT_EQ(j.at("masked").get<int>() + j.at("detected").get<int>() + j.at("silent").get<int>(),
            40);
  ASSERT_EQ(j.at("faults").size(), 40u);
  for (const auto& f : j.at("faults")) {
    EXPECT_TRUE(f.at("struck").get<bool>());
    EXPECT_NE(f.at("where").get<std::string>().find("gemm"), std::string::npos) << f.dump();
    EXPECT_LT(f.at("event").get<std::uint64_t>(), j.at("events").get<std::uint64_t>());
  }
}

// An accumulator upset changes the output unless it lands on a bit the rest of the
// reduction overwrites: with checksums every change is caught and re-executed; without,
// every change is silent.
// At rtl, on the build's 8x8 engine with checksums: the Verilated engine's checksums
// catch what its fault hooks strike, and the same seed at tlm ends every fault alike.
// Returns the rtl campaign.
nlohmann::json expect_rtl_ends_faults_as_tlm(std::vector<std::string> args,
                                             const std::vector<std::string>& outcomes) {
  const std::string board =
      std::string(TESSERA_SOURCE_DIR) + "/tests/configs/kv260-8x8-checksums.json";
  const std::string what = args.at(1);  // the site
  args.insert(args.begin(), {"faults", "--preset", board, "--json", "-q"});
  nlohmann::json runs[2];
  const char* fidelities[2] = {"rtl", "tlm"};
  for (int i = 0; i < 2; ++i) {
    std::vector<std::string> at = args;
    at.insert(at.end(), {"--fidelity", fidelities[i]});
    const ProcessResult r = tessera(at);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) return {};
    runs[i] = nlohmann::json::parse(r.out);
  }
  EXPECT_EQ(runs[0]["silent"], 0) << what;
  EXPECT_GT(runs[0]["detected"].get<int>(), 0) << what;
  for (const std::string& key : outcomes)
    EXPECT_EQ(runs[0][key], runs[1][key]) << what << " " << key;
  for (std::size_t f = 0; f < runs[0]["faults"].size(); ++f) {
    EXPECT_EQ(runs[0]["faults"][f]["where"], runs[1]["faults"][f]["where"]) << what;
    EXPECT_EQ(runs[0]["faults"][f]["outcome"], runs[1]["faults"][f]["outcome"]) << what;
  }
  return runs[0];
}

TEST(CliFaults, RtlEngineCatchesItsFaultsAsTheCModelDoes) {
  for (const char* site : {"accumulator", "operand_buffer", "result_fifo"}) {
    expect_rtl_ends_faults_as_tlm(
        {"--site", site, "--count", "12", "--seed", "5", "--m", "32", "--n", "24", "--k", "40"},
        {"masked", "detected", "recovered", "silent"});
  }
}

// Decode runs vector-mode GEMVs: at rtl their checksums catch what the hooks strike
// too, and recovery keeps the text.
TEST(CliFaults, RtlDecodeCatchesVectorJobFaultsAsTheCModelDoes) {
  for (const char* site : {"accumulator", "result_fifo"}) {
    const nlohmann::json rtl = expect_rtl_ends_faults_as_tlm(
        {"--site", site, "--count", "3", "--seed", "3", "--workload", "decode", "--model",
         real_model_file("stories260K.bin").string(), "--steps", "6"},
        {"masked", "detected", "recovered", "silent", "text_changed"});
    EXPECT_EQ(rtl.value("text_changed", -1), 0) << site;
  }
}

TEST(CliFaults, ChecksumsTurnSilentCorruptionIntoRecoveredWork) {
  const nlohmann::json on = campaign("accumulator", "on");
  const nlohmann::json off = campaign("accumulator", "off");
  EXPECT_EQ(on.at("silent"), 0);
  EXPECT_EQ(on.at("recovered"), on.at("detected"));
  EXPECT_GT(on.at("detected").get<int>(), 0);
  EXPECT_EQ(off.at("detected"), 0);
  // The same faults struck in both: what was caught with checksums is silent without.
  EXPECT_EQ(off.at("silent"), on.at("detected"));
  EXPECT_EQ(off.at("masked"), on.at("masked"));
}

TEST(CliFaults, TheSameSeedIsTheSameCampaign) {
  nlohmann::json a = campaign("operand_buffer", "on");
  nlohmann::json b = campaign("operand_buffer", "on");
  nlohmann::json c = campaign("operand_buffer", "on", "8");
  for (nlohmann::json* j : {&a, &b, &c}) j->erase("wall_seconds");
  EXPECT_EQ(a, b);
  EXPECT_NE(a.at("faults"), c.at("faults"));
}

// Faults the GEMM engines' checksums cannot see: in device memory before the engine
// reads it, and on the host link.
TEST(CliFaults, MemoryAndLinkFaultsAreNeverDetectedByTheEngines) {
  for (const char* site : {"device_memory", "host_link"}) {
    const nlohmann::json j = campaign(site, "on");
    EXPECT_EQ(j.at("detected"), 0) << site;
    EXPECT_FALSE(j.at("within_checksums").get<bool>()) << site;
    EXPECT_GT(j.at("silent").get<int>(), 0) << site;
  }
}

// A decode campaign on stories260K with checksums on or off.
nlohmann::json decode_campaign(const std::string& site, const std::string& checksums,
                               const std::string& count, const std::string& steps) {
  const ProcessResult r =
      tessera({"faults", "--workload", "decode", "--model",
               real_model_file("stories260K.bin").string(), "--site", site, "--count", count,
               "--steps", steps, "--checksums", checksums, "--json", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

// Decoding stories260K through the runtime and the ICD: every fault the checksums
// report is re-executed before the text is made, so the text and every op --check
// compares are those of the fault-free run; without checksums the corrupted ops
// reach the model and --check finds them.
TEST(CliFaults, DecodeRecoversEveryDetectedFault) {
  const nlohmann::json on = decode_campaign("accumulator", "on", "30", "16");
  EXPECT_EQ(on.at("workload"), "decode");
  EXPECT_FALSE(on.at("text").get<std::string>().empty());
  EXPECT_EQ(on.at("injected"), 30);
  EXPECT_GT(on.at("detected").get<int>(), 0);
  EXPECT_EQ(on.at("recovered"), on.at("detected"));
  EXPECT_EQ(on.at("silent"), 0);
  EXPECT_EQ(on.at("text_changed"), 0);
  EXPECT_EQ(on.at("check_failed"), 0);
  for (const auto& f : on.at("faults")) {
    if (f.at("outcome") == "recovered") {
      EXPECT_FALSE(f.at("text_changed").get<bool>());
    }
  }
  const nlohmann::json off = decode_campaign("accumulator", "off", "30", "16");
  EXPECT_EQ(off.at("detected"), 0);
  EXPECT_EQ(off.at("text"), on.at("text"));
  EXPECT_GT(off.at("check_failed").get<int>(), 0);
}

// Attention faults are outside every check the device has: none is detected, the
// ones that reach the text are silent, and the runtime's --check (every op against
// the int8 reference) flags each. A GEMM has no attention jobs to strike.
TEST(CliFaults, AttentionFaultsAreOutsideTheChecksumsReach) {
  const nlohmann::json j = decode_campaign("attention", "on", "20", "16");
  EXPECT_FALSE(j.at("within_checksums").get<bool>());
  EXPECT_EQ(j.at("injected"), 20);
  EXPECT_EQ(j.at("detected"), 0);
  EXPECT_EQ(j.at("silent"), j.at("text_changed"));
  EXPECT_EQ(j.at("check_failed"), 20);
  for (const auto& f : j.at("faults")) {
    EXPECT_NE(f.at("where").get<std::string>().find("lane"), std::string::npos) << f.dump();
  }

  const ProcessResult gemm = tessera({"faults", "--site", "attention", "--count", "2"});
  EXPECT_EQ(gemm.exit_code, 1) << gemm.err;
  EXPECT_NE(gemm.err.find("no events for attention"), std::string::npos) << gemm.err;
}

// The host's fp32 glue between the kernels: outside every device check, struck in
// the runtime, counted by host op (7 per block and the final RMSNorm, per position).
TEST(CliFaults, HostGlueFaultsAreOutsideTheChecksums) {
  const nlohmann::json j = decode_campaign("host_glue", "on", "30", "8");
  EXPECT_FALSE(j.at("within_checksums").get<bool>());
  EXPECT_EQ(j.at("events"), 8 * (7 * 5 + 1));  // stories260K: 5 blocks
  EXPECT_EQ(j.at("injected"), 30);
  EXPECT_EQ(j.at("recovered"), 0);
  for (const auto& f : j.at("faults")) {
    EXPECT_TRUE(f.at("struck").get<bool>()) << f.dump();
    EXPECT_EQ(f.at("where").get<std::string>().rfind("host ", 0), 0u) << f.dump();
    // Nothing on the device sees it: a run changes silently, or a check on the way
    // (a non-finite activation scale) stops it.
    const std::string outcome = f.at("outcome");
    EXPECT_EQ(outcome == "detected", f.contains("error")) << f.dump();
    EXPECT_EQ(outcome == "silent" || outcome == "detected", f.at("text_changed").get<bool>())
        << f.dump();
  }
  const ProcessResult gemm = tessera({"faults", "--site", "host_glue", "--count", "2"});
  EXPECT_EQ(gemm.exit_code, 1) << gemm.err;
  EXPECT_NE(gemm.err.find("--workload decode"), std::string::npos) << gemm.err;
}

TEST(CliFaults, RefusesWhatItCannotRun) {
  const ProcessResult bad_site = tessera({"faults", "--site", "alu"});
  EXPECT_EQ(bad_site.exit_code, 2);
  EXPECT_NE(bad_site.err.find("accumulator"), std::string::npos) << bad_site.err;

  const ProcessResult no_site = tessera({"faults"});
  EXPECT_EQ(no_site.exit_code, 2) << no_site.err;

  const ProcessResult zero = tessera({"faults", "--site", "accumulator", "--count", "0"});
  EXPECT_EQ(zero.exit_code, 2) << zero.err;

  // kv260's top is verilated without checksums.
  const ProcessResult rtl = tessera({"faults", "--site", "accumulator", "--fidelity", "rtl",
                                     "--count", "2", "--checksums", "on"});
  EXPECT_EQ(rtl.exit_code, 1);
  EXPECT_NE(rtl.err.find("4096-word buffers, checksums,"), std::string::npos) << rtl.err;
  EXPECT_EQ(rtl.err.find("faults:"), std::string::npos) << "no progress before the error\n"
                                                        << rtl.err;

  const ProcessResult decode_no_recover = tessera({"faults", "--workload", "decode", "--model",
                                                   real_model_file("stories260K.bin").string(),
                                                   "--site", "accumulator", "--no-recover"});
  EXPECT_EQ(decode_no_recover.exit_code, 2);
  EXPECT_NE(decode_no_recover.err.find("--no-recover"), std::string::npos);

  const ProcessResult preset =
      tessera({"faults", "--site", "accumulator", "--preset", "no-such-board"});
  EXPECT_NE(preset.exit_code, 0);
  EXPECT_NE(preset.err.find("no-such-board"), std::string::npos) << preset.err;
}

}  // namespace
}  // namespace tessera::testing
