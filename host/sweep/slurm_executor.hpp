#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tessera::sweep {

// How `tessera sweep --executor slurm` submits a sweep: one job array whose task i of
// N runs `tessera sweep SPEC --out DIR --worker i --workers N` (the points whose
// index is i modulo N and have no result yet), then a job that depends on the whole
// array (afterok) and aggregates the tables. N is the number of points, at most the
// cluster's MaxArraySize; only the tasks whose share has a point left are submitted,
// so a resumed sweep queues no task with nothing to do; `throttle` tasks run at once
// (0: no limit).
struct SlurmSubmission {
  std::filesystem::path program;  // this tessera, absolute
  std::filesystem::path spec;     // absolute
  std::filesystem::path out;      // absolute
  int points = 0;
  std::vector<int> pending;  // indices of the points without a result, ascending
  int throttle = 0;
  std::vector<std::string> sbatch_args;  // --slurm-args, split at spaces
  bool wait = false;                     // block until the aggregation job has ended
};

struct SlurmJobs {
  std::string array_job, aggregate_job;
  int workers = 0;          // N
  int tasks = 0;            // submitted: the workers with points left
  bool aggregated = false;  // with `wait`: the aggregation job succeeded
};

// The cluster's MaxArraySize (scontrol show config), or Slurm's default of 1001.
int slurm_max_array_size();

// Slurm's --array list of task indices: ascending runs as ranges ("0-3,7,70-71").
std::string array_ranges(const std::vector<int>& ascending);

// Writes OUT/slurm/points.sh and aggregate.sh and submits them with sbatch. Throws
// std::runtime_error with sbatch's message when a submission fails.
SlurmJobs submit_to_slurm(const SlurmSubmission& s);

}  // namespace tessera::sweep
