// tessera sweep: the shipped small spec end to end, resuming, worker counts, and
// malformed specs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/model_files.hpp"
#include "support/subprocess.hpp"

namespace tessera::testing {
namespace {

ProcessResult tessera(const std::vector<std::string>& args) {
  return run_process(TESSERA_BINARY, args);
}

std::string small_spec() {
  return std::string(TESSERA_SOURCE_DIR) + "/configs/sweeps/kv260-small.json";
}

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

// Every point runs, in worker processes, into one table; the table does not depend
// on how many workers ran it or on a resume, and a resume runs only what is missing.
TEST(CliSweep, SmallSpecRunsResumesAndGivesTheSameTable) {
  TempDir dir("sweep");
  const std::string out = (dir / "a").string();
  const ProcessResult first = tessera({"sweep", small_spec(), "--out", out, "-j", "2"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // Two 16x16 units and the attention unit need more LUTs than the K26 has, by less
  // than the estimate's error: timed, and marked as not fitting.
  EXPECT_NE(first.err.find("8 points (8 ok, 0 over the board's budget"), std::string::npos)
      << first.err;
  const std::string csv = read(std::filesystem::path(out) / "results.csv");
  EXPECT_EQ(lines(csv), 1 + 8);
  EXPECT_EQ(csv.rfind("id,workload,gemm_units,gemm_units.count,memory.bandwidth_gbps,status,"
                      "tokens_per_s,",
                      0),
            0u)
      << csv;
  const auto json = nlohmann::json::parse(read(std::filesystem::path(out) / "results.json"));
  ASSERT_EQ(json.at("points").size(), 8u);
  for (const auto& point : json.at("points")) {
    const bool two_16x16 = point.at("settings").at("gemm_units").at("rows") == 16 &&
                           point.at("settings").at("gemm_units.count") == 2;
    EXPECT_EQ(point.at("status"), "ok") << point.dump();
    EXPECT_EQ(point.at("fits_board"), !two_16x16) << point.dump();
    EXPECT_TRUE(point.contains("metrics")) << point.dump();
  }
  // Twice the bandwidth, same array and units: decode is faster.
  const auto rate = [&](std::size_t i) {
    return json.at("points").at(i).at("metrics").at("tokens_per_s").get<double>();
  };
  EXPECT_GT(rate(1), rate(0));
  EXPECT_EQ(lines(read(std::filesystem::path(out) / "manifest.jsonl")), 8);

  // Two results lost: only those run again, and the table is the same bytes.
  const std::string id = json.at("points").at(3).at("id");
  std::filesystem::remove(std::filesystem::path(out) / "points" / (id + ".json"));
  std::filesystem::remove(std::filesystem::path(out) / "results.csv");
  const ProcessResult resumed = tessera({"sweep", small_spec(), "--out", out});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("7 of 8 points already done"), std::string::npos) << resumed.err;
  EXPECT_EQ(read(std::filesystem::path(out) / "results.csv"), csv);

  // One worker in another folder: the same table and the same JSON.
  const std::string other = (dir / "b").string();
  const ProcessResult serial = tessera({"sweep", small_spec(), "--out", other, "-j", "1", "-q"});
  ASSERT_EQ(serial.exit_code, 0) << serial.err;
  EXPECT_TRUE(serial.err.empty()) << serial.err;
  EXPECT_EQ(read(std::filesystem::path(other) / "results.csv"), csv);
  EXPECT_EQ(read(std::filesystem::path(other) / "results.json"),
            read(std::filesystem::path(out) / "results.json"));
}

TEST(CliSweep, MalformedSpecsAreUsageErrors) {
  TempDir dir("sweep-bad");
  const auto run = [&](const std::string& text) {
    const std::string spec = (dir / "spec.json").string();
    std::ofstream(spec) << text;
    return tessera({"sweep", spec, "--out", (dir / "out").string(), "--quiet"});
  };
  const struct {
    std::string text, needle;
  } cases[] = {
      {"{", "not valid JSON"},
      {R"({"base": "kv260", "vary": {"clock_mhz": []}, "workloads": [{"model_shape": "stories15m"}]})",
       "vary.clock_mhz must be a non-empty list"},
      {R"({"base": "kv260", "vary": {"memory.bandwith_gbps": [1]}, "workloads": [{"model_shape": "stories15m"}]})",
       "did you mean memory.bandwidth_gbps?"},
      // Every point rejected by the configuration validator: nothing can run.
      {R"({"base": "kv260", "vary": {"clock_mhz": [-1]}, "workloads": [{"model_shape": "stories15m"}]})",
       "no point of the grid can run"},
  };
  for (const auto& c : cases) {
    const ProcessResult r = run(c.text);
    EXPECT_EQ(r.exit_code, 2) << c.text << "\n" << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_EQ(tessera({"sweep", (dir / "missing.json").string(), "--out", "x"}).exit_code, 2);
  EXPECT_EQ(tessera({"sweep", small_spec(), "--out", "x", "--executor", "cloud"}).exit_code, 2);
}

}  // namespace
}  // namespace tessera::testing
