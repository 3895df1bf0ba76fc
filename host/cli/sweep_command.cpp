// tessera sweep SPEC --out DIR: a grid of hardware configurations and workloads,
// run by worker processes of this program (each takes every N-th point and skips
// the finished ones), gathered into DIR/results.csv and DIR/results.json.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "sweep/slurm_executor.hpp"
#include "sweep/sweep_point.hpp"
#include "sweep/sweep_results.hpp"
#include "sweep/sweep_spec.hpp"

extern char** environ;

namespace tessera::cli {
namespace {

struct SweepOptions {
  std::string spec;
  std::string out;
  std::string executor = "local";
  int jobs = 0;  // 0: one per CPU (local); no limit (slurm)
  std::string slurm_args;
  bool wait = false;  // slurm: until the tables are written
  bool quiet = false;
  bool aggregate_only = false;  // the tables from the results there are (the slurm job)
  // A worker process: runs the points whose index is `worker` modulo `workers`.
  int worker = -1;
  int workers = 0;
};

int count_finished(const sweep::SweepFolder& folder, const std::vector<sweep::Point>& points) {
  int done = 0;
  for (const sweep::Point& p : points) done += folder.has_result(p) ? 1 : 0;
  return done;
}

// The indices of the points without a result, ascending.
std::vector<int> unfinished(const sweep::SweepFolder& folder,
                            const std::vector<sweep::Point>& points) {
  std::vector<int> indices;
  for (const sweep::Point& p : points) {
    if (!folder.has_result(p)) indices.push_back(p.index);
  }
  return indices;
}

// The worker's share: every point of its residue without a result yet.
int run_worker(const SweepOptions& o, const sweep::SweepFolder& folder,
               const std::vector<sweep::Point>& points) {
  for (const sweep::Point& p : points) {
    if (p.index % o.workers != o.worker || folder.has_result(p)) continue;
    folder.write_result(p, sweep::run_point(p));
  }
  return 0;
}

pid_t spawn_worker(const SweepOptions& o, int worker, int workers) {
  // argv[0] as the program's path: the presets are found relative to it.
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> args = {self,
                                   "sweep",
                                   o.spec,
                                   "--out",
                                   o.out,
                                   "--worker",
                                   std::to_string(worker),
                                   "--workers",
                                   std::to_string(workers)};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
    throw std::runtime_error("sweep: cannot start a worker process");
  }
  return pid;
}

// Starts the workers and waits for them, drawing the progress of the whole grid.
int run_local(const SweepOptions& o, const sweep::SweepFolder& folder,
              const std::vector<sweep::Point>& points, int pending) {
  const int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int workers = std::min(pending, o.jobs > 0 ? o.jobs : cpus);
  std::vector<pid_t> running;
  for (int i = 0; i < workers; ++i) running.push_back(spawn_worker(o, i, workers));
  std::unique_ptr<Progress> progress;
  if (!o.quiet) progress = std::make_unique<Progress>("sweep", static_cast<int>(points.size()));
  int failed = 0;
  while (!running.empty()) {
    for (auto it = running.begin(); it != running.end();) {
      int status = 0;
      if (waitpid(*it, &status, WNOHANG) == *it) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
        it = running.erase(it);
      } else {
        ++it;
      }
    }
    if (progress) progress->update(count_finished(folder, points));
    if (!running.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return failed;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// Submits the points to Slurm; true when the tables are written (with --wait).
bool run_slurm(const SweepOptions& o, const std::vector<sweep::Point>& points,
               std::vector<int> pending) {
  sweep::SlurmSubmission submission;
  submission.pending = std::move(pending);
  submission.program = std::filesystem::read_symlink("/proc/self/exe");
  submission.spec = std::filesystem::absolute(o.spec);
  submission.out = std::filesystem::absolute(o.out);
  submission.points = static_cast<int>(points.size());
  submission.throttle = o.jobs;
  submission.sbatch_args = split_words(o.slurm_args);
  submission.wait = o.wait;
  const sweep::SlurmJobs jobs = sweep::submit_to_slurm(submission);
  if (!o.quiet) {
    std::fprintf(stderr,
                 "sweep: Slurm job array %s (%d of %d tasks) runs the points; job %s writes the "
                 "tables when it has finished (logs in %s)\n",
                 jobs.array_job.c_str(), jobs.tasks, jobs.workers, jobs.aggregate_job.c_str(),
                 (submission.out / "slurm").c_str());
  }
  if (o.wait && !jobs.aggregated) {
    throw std::runtime_error("sweep: the Slurm jobs did not finish (array " + jobs.array_job +
                             "; logs in " + (submission.out / "slurm").string() +
                             "); run the same command again to resume");
  }
  return o.wait;
}

int run_sweep(const SweepOptions& o) {
  const sweep::SweepSpec spec = sweep::load_spec(o.spec);
  const std::vector<sweep::Point> points = sweep::expand(spec);
  const sweep::SweepFolder folder(o.out);
  if (o.worker >= 0) return run_worker(o, folder, points);

  const auto start = std::chrono::steady_clock::now();
  if (!o.aggregate_only) folder.prepare(points);
  std::vector<int> unfinished_points = unfinished(folder, points);
  const int pending = static_cast<int>(unfinished_points.size());
  if (!o.quiet && !o.aggregate_only && pending < static_cast<int>(points.size())) {
    std::fprintf(stderr, "sweep: %d of %zu points already done in %s\n",
                 static_cast<int>(points.size()) - pending, points.size(), o.out.c_str());
  }
  int failed = 0;
  if (pending > 0 && !o.aggregate_only) {
    if (o.executor == "slurm") {
      // Without --wait the aggregation job writes the tables.
      if (!run_slurm(o, points, std::move(unfinished_points))) return 0;
    } else {
      failed = run_local(o, folder, points, pending);
    }
  }
  const sweep::SweepFolder::Summary s = folder.aggregate(spec, points);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!o.quiet) {
    std::fprintf(stderr,
                 "sweep %s: %zu points (%d ok, %d over the board's budget, %d invalid) in %.1f s; "
                 "%s\n",
                 spec.name.c_str(), points.size(), s.ok, s.over_budget, s.invalid, seconds,
                 (folder.dir() / "results.csv").c_str());
  }
  if (failed > 0 || s.missing > 0) {
    throw std::runtime_error("sweep: " + std::to_string(s.missing) + " points have no result (" +
                             std::to_string(failed) +
                             " worker processes failed); run the same command again to resume");
  }
  if (s.ok == 0) {
    throw CLI::ValidationError(o.spec, "no point of the grid can run (see " +
                                           (folder.dir() / "results.csv").string() + ")");
  }
  return 0;
}

}  // namespace

Command add_sweep_command(CLI::App& app) {
  auto o = std::make_shared<SweepOptions>();
  CLI::App* sweep = app.add_subcommand(
      "sweep",
      "Time a grid of hardware configurations and workloads (a JSON spec, docs/sweeps.md) at "
      "tlm, in parallel worker processes; resumable; writes OUT/results.csv and results.json");
  sweep->add_option("spec", o->spec, "sweep specification (JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  sweep->add_option("--out", o->out, "folder for the manifest, each point's result and the tables")
      ->required();
  sweep
      ->add_option("--executor", o->executor,
                   "where the points run: local worker processes, or a Slurm job array "
                   "(sbatch; an afterok job writes the tables)")
      ->capture_default_str()
      ->check(CLI::IsMember({"local", "slurm"}));
  sweep
      ->add_option("--jobs,-j", o->jobs,
                   "worker processes (default: one per CPU); with slurm, array tasks running "
                   "at once (default: no limit)")
      ->check(at_least(1));
  CLI::Option* slurm_args =
      sweep->add_option("--slurm-args", o->slurm_args,
                        "sbatch options for both jobs, e.g. \"--partition=p --time=1:00:00\"");
  CLI::Option* wait =
      sweep->add_flag("--wait", o->wait, "slurm: wait until the tables are written");
  sweep->add_flag("--aggregate-only", o->aggregate_only)->group("");
  sweep->add_flag("--quiet,-q", o->quiet, "no progress or summary on stderr");
  sweep->add_option("--worker", o->worker)->group("")->check(CLI::NonNegativeNumber);
  sweep->add_option("--workers", o->workers)->group("")->check(at_least(1));
  return {sweep, [o, slurm_args, wait] {
            if (o->executor != "slurm") {
              for (const CLI::Option* option : {slurm_args, wait}) {
                if (option->count() > 0) {
                  throw CLI::ValidationError(option->get_name(), "applies to --executor slurm");
                }
              }
            }
            if ((o->worker >= 0) != (o->workers > 0) || o->worker >= std::max(1, o->workers)) {
              throw CLI::ValidationError("--worker", "is internal: --worker I --workers N, I < N");
            }
            try {
              return run_sweep(*o);
            } catch (const sweep::SpecError& e) {
              throw CLI::ValidationError(e.what());
            }
          }};
}

}  // namespace tessera::cli
