#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tessera::sweep {

// How `tessera sweep --executor slurm` submits a sweep: one job array whose task i of
// N runs `tessera sweep SPEC --out DIR --worker i --workers N` (the points whose
// index is i modulo N and have no result yet), then a job that depends on the whole
// array (afterok) and aggregates the tables. N is the number of points, at most the
// cluster's MaxArraySize; `throttle` tasks run at once (0: no limit).
struct SlurmSubmission {
  std::filesystem::path program;  // this tessera, absolute
  std::filesystem::path spec;     // absolute
  std::filesystem::path out;      // absolute
  int points = 0;
  int throttle = 0;
  std::vector<std::string> sbatch_args;  // --slurm-args, split at spaces
  bool wait = false;                     // block until the aggregation job has ended
};

struct SlurmJobs {
  std::string array_job, aggregate_job;
  int tasks = 0;
  bool aggregated = false;  // with `wait`: the aggregation job succeeded
};

// The cluster's MaxArraySize (scontrol show config), or Slurm's default of 1001.
int slurm_max_array_size();

// Writes OUT/slurm/points.sh and aggregate.sh and submits them with sbatch. Throws
// std::runtime_error with sbatch's message when a submission fails.
SlurmJobs submit_to_slurm(const SlurmSubmission& s);

}  // namespace tessera::sweep
