// Sweep specifications: what a malformed one is told, and how a grid expands.
#include "sweep/sweep_spec.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "sweep/sweep_point.hpp"
#include "tessera/models/synthetic_model.hpp"

namespace tessera::sweep {
namespace {

constexpr const char* kWorkload = R"("workloads": [{"model_shape": "stories15m"}])";

SweepSpec parse(const std::string& body) { return parse_spec("{" + body + "}", "spec.json"); }

// The SpecError message for a spec body, or "" if it parses.
std::string error_of(const std::string& body) {
  try {
    parse(body);
  } catch (const SpecError& e) {
    return e.what();
  }
  return "";
}

TEST(SweepSpec, MistakesAreNamedOnOneLine) {
  const std::string base = R"("base": "kv260", )";
  const struct {
    std::string body, needle;
  } cases[] = {
      {R"("base": "kv260", "vary": )", "not valid JSON"},
      // Found by sweep_spec_fuzzer: a number beyond double's range, fields of the
      // wrong type, a path through a number.
      {base + R"("vary": {"clock_mhz": [5E99999]}, )" + kWorkload, "not valid JSON"},
      {base + R"("name": [1], )" + kWorkload, "name = [1] must be a string"},
      {base + R"("fidelity": 3, )" + kWorkload, "fidelity = 3 must be a string"},
      {base + R"("workloads": [{"model_shape": "stories15m", "mode": 1}])",
       "workloads[0].mode = 1 must be a string"},
      {base + R"("vary": {"clock_mhz.x": [1]}, )" + kWorkload,
       "vary.clock_mhz.x is not a configuration field"},
      {base + R"("varry": {}, )" + kWorkload, "'varry' is not a sweep field"},
      {base + R"("vary": {"memory.bandwidth_gbps": []}, )" + kWorkload,
       "vary.memory.bandwidth_gbps must be a non-empty list"},
      {base + R"("vary": {"gemm_units.rowz": [8]}, )" + kWorkload,
       "vary.gemm_units.rowz: gemm_units.rowz is not a configuration field (did you mean "
       "gemm_units.rows?)"},
      {base + R"("workloads": [{"model_shape": "gpt5"}])", "'gpt5' is not a known shape"},
      {base + R"("workloads": [{"model_shape": "stories15m", "mode": "train"}])",
       "mode 'train' must be decode or prefill"},
      {base + R"("workloads": [{"model_shape": "stories15m", "tokens": 0}])",
       "tokens = 0 must be a whole number from 1"},
      {base + R"("workloads": [])", "workloads must be a non-empty list"},
      {base + R"("workloads": [{"model_shape": "stories15m", "model": "m.bin"}])",
       "workloads[0] needs exactly one of model_shape"},
      {base + R"("workloads": [{"mode": "decode"}])", "workloads[0] needs exactly one of"},
      {base + R"("workloads": [{"model": "/no/such/model.bin"}])",
       "workloads[0].model: /no/such/model.bin: cannot open"},
      {base + R"("fidelity": "rtl", )" + kWorkload, "only tlm does"},
      {kWorkload, "base is missing"},
      {R"("base": "zx81", )" + std::string(kWorkload), "base: unknown preset 'zx81'"},
      {base + R"("vary": {"clock_mhz": [100, 101, 102, 103, 104, 105, 106, 107, 108, 109],
                          "gemm_units.buffer_words": [1024, 2048, 4096, 8192, 16384, 32768, 1024, 2048, 4096, 8192],
                          "memory.bandwidth_gbps": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                          "memory.channels": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                          "attention_units.count": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                          "gemm_units.count": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                          "host_link.bandwidth_gbps": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}, )" +
           kWorkload,
       "the grid (1 workloads x 10 x 10 x 10 x 10 x 10 x 10 x 10 ...) has more than 1000000 "
       "points"},
  };
  for (const auto& c : cases) {
    const std::string message = error_of(c.body);
    EXPECT_NE(message.find(c.needle), std::string::npos) << c.body << "\n-> " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.rfind("spec.json: ", 0), 0u) << message;
  }
}

TEST(SweepSpec, TheGridIsTheProductOfTheAxesTimesTheWorkloads) {
  const SweepSpec spec = parse(R"("base": "kv260",
      "vary": {"gemm_units": [{"rows": 8, "cols": 8}, {"rows": 16, "cols": 16}],
               "memory.bandwidth_gbps": [9.6, 19.2, 38.4]},
      "workloads": [{"model_shape": "stories15m"},
                    {"model_shape": "stories42m", "mode": "prefill", "tokens": 16}])");
  const std::vector<Point> points = expand(spec);
  ASSERT_EQ(points.size(), 2u * 3u * 2u);
  // Axes in order (the last fastest), workloads innermost.
  EXPECT_EQ(points[0].settings.dump(),
            R"({"gemm_units":{"rows":8,"cols":8},"memory.bandwidth_gbps":9.6})");
  EXPECT_EQ(points[1].workload.name, "stories42m prefill 16");
  EXPECT_EQ(points[2].settings.at("memory.bandwidth_gbps"), 19.2);
  EXPECT_EQ(points[11].settings.at("gemm_units").at("rows"), 16);
  // An object value sets its fields and leaves the others: buffer_words stays.
  EXPECT_EQ(points[11].config.at("gemm_units").at("cols"), 16);
  EXPECT_EQ(points[11].config.at("gemm_units").at("buffer_words"),
            spec.base_json.at("gemm_units").at("buffer_words"));
  std::set<std::string> ids;
  for (const Point& p : points) ids.insert(p.id);
  EXPECT_EQ(ids.size(), points.size()) << "one id per point";
}

// A point is named by what it runs: growing the grid keeps every old point's id, so
// a resumed sweep finds their results.
TEST(SweepSpec, PointIdsSurviveAGrowingGrid) {
  const auto ids = [](const std::string& bandwidths) {
    std::set<std::string> out;
    for (const Point& p : expand(parse(R"("base": "kv260", "vary": {"memory.bandwidth_gbps": )" +
                                       bandwidths + "}, " + kWorkload))) {
      out.insert(p.id);
    }
    return out;
  };
  const auto small = ids("[9.6, 19.2]"), grown = ids("[4.8, 9.6, 19.2]");
  for (const std::string& id : small) EXPECT_EQ(grown.count(id), 1u) << id;
  EXPECT_EQ(grown.size(), 3u);
}

// A checkpoint is timed by the shape its header gives, as that shape by name is; the
// point's id names the file's shape, so it differs from the named shape's.
TEST(SweepSpec, ACheckpointWorkloadIsTimedByItsHeadersShape) {
  const models::ModelShape stories = models::model_shape("stories260k");
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / ("tessera-sweep-spec-" + std::to_string(getpid()));
  std::filesystem::create_directories(folder);
  models::write_synthetic_checkpoint(stories.config, folder / "tiny.bin", {});
  const SweepSpec spec = parse_spec(R"({"base": "kv260", "workloads": [
      {"model": "tiny.bin", "mode": "prefill", "tokens": 8},
      {"model_shape": "stories260k", "mode": "prefill", "tokens": 8}]})",
                                    folder / "spec.json");
  std::filesystem::remove_all(folder);
  ASSERT_EQ(spec.workloads.size(), 2u);
  const Workload& file = spec.workloads[0];
  EXPECT_EQ(file.name, "tiny prefill 8");
  EXPECT_EQ(file.shape.config.dim, stories.config.dim);
  EXPECT_EQ(file.shape.config.n_kv_heads, stories.config.n_kv_heads);
  EXPECT_EQ(file.shape.config.vocab_size, stories.config.vocab_size);
  EXPECT_EQ(file.to_json().at("model"), "tiny.bin");
  EXPECT_EQ(file.to_json().at("shape").at("hidden_dim"), stories.config.hidden_dim);
  const std::vector<Point> points = expand(spec);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_NE(points[0].id, points[1].id);
  const auto timed = run_point(points[0]), named = run_point(points[1]);
  ASSERT_EQ(timed.at("status"), "ok") << timed.dump();
  EXPECT_EQ(timed.at("metrics"), named.at("metrics"));
}

// A shipped specification broken by a change to the configuration's fields would
// fail here, not in a user's first sweep.
TEST(SweepSpec, ShippedSpecificationsLoadAndExpand) {
  int specs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(TESSERA_SWEEPS_DIR)) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    ++specs;
    const SweepSpec spec = load_spec(entry.path());
    EXPECT_EQ(spec.name, entry.path().stem().string());
    EXPECT_FALSE(expand(spec).empty());
  }
  EXPECT_GE(specs, 3);
}

// Points the validator rejects are kept and marked: for the board's budget with
// their resources ("over_budget"), for anything else without ("invalid").
TEST(SweepPoint, InfeasiblePointsAreMarkedNotTimed) {
  const std::vector<Point> points = expand(parse(R"("base": "kv260",
      "vary": {"gemm_units": [{"rows": 16, "cols": 16, "count": 1},
                              {"rows": 32, "cols": 32, "count": 4}],
               "memory.bandwidth_gbps": [19.2, 0]}, )" +
                                                 std::string(kWorkload)));
  ASSERT_EQ(points.size(), 4u);
  const auto fits = run_point(points[0]);
  EXPECT_EQ(fits.at("status"), "ok");
  EXPECT_EQ(fits.at("fits_board"), true);
  EXPECT_GT(fits.at("metrics").at("tokens_per_s").get<double>(), 0.0);
  EXPECT_EQ(fits.at("resources").at("dsp_slices"), 530);  // kv260's top with its four-word port

  const auto over = run_point(points[2]);
  EXPECT_EQ(over.at("status"), "over_budget");
  EXPECT_EQ(over.at("fits_board"), false);
  EXPECT_FALSE(over.contains("metrics"));
  EXPECT_GT(over.at("resources").at("dsp_slices").get<long>(), 1248);
  EXPECT_NE(over.at("message").get<std::string>().find("DSP slices"), std::string::npos);

  const auto invalid = run_point(points[1]);
  EXPECT_EQ(invalid.at("status"), "invalid");
  EXPECT_NE(invalid.at("message").get<std::string>().find("memory.bandwidth_gbps"),
            std::string::npos);
}

}  // namespace
}  // namespace tessera::sweep
