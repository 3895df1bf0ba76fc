// What the Slurm executor asks sbatch for (the submission itself runs through a real
// Slurm in slurm_sweep_test.sh).
#include "sweep/slurm_executor.hpp"

#include <gtest/gtest.h>

namespace tessera::sweep {
namespace {

TEST(SlurmExecutor, ArrayListsRunsOfTasksAsRanges) {
  EXPECT_EQ(array_ranges({0, 1, 2, 3, 7, 70, 71}), "0-3,7,70-71");
  EXPECT_EQ(array_ranges({5}), "5");
  EXPECT_EQ(array_ranges({2, 4, 6}), "2,4,6");
  EXPECT_EQ(array_ranges({0, 1}), "0-1");
  EXPECT_EQ(array_ranges({}), "");
}

}  // namespace
}  // namespace tessera::sweep
