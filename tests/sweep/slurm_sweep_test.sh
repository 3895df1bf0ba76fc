#!/bin/sh
# tessera sweep through a real single-node Slurm (scripts/slurm-local, on its own
# ports and state folder): the same results.csv as the local executor, and a lost
# point run again alone. Every daemon it started is stopped, also on failure.
#   slurm_sweep_test.sh TESSERA SOURCE_DIR
set -eu
tessera="$1"
source_dir="$2"
if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: a local Slurm needs root" >&2
  exit 77
fi
work=$(mktemp -d)
state="$work/slurm"
trap '"$source_dir/scripts/slurm-local" stop --dir "$state"; rm -rf "$work"' EXIT
eval "$("$source_dir/scripts/slurm-local" start --dir "$state" --port 16817)"
spec="$source_dir/configs/sweeps/kv260-small.json"

"$tessera" sweep "$spec" --out "$work/local" --quiet
"$tessera" sweep "$spec" --out "$work/slurm" --executor slurm --wait --quiet
cmp "$work/local/results.csv" "$work/slurm/results.csv"
cmp "$work/local/results.json" "$work/slurm/results.json"

# A task that died: its point has no result; the same command runs only that one.
lost=$(ls "$work/slurm/points" | head -n 1)
rm "$work/slurm/points/$lost" "$work/slurm/results.csv"
again=$("$tessera" sweep "$spec" --out "$work/slurm" --executor slurm --wait 2>&1)
echo "$again" | grep -q "7 of 8 points already done" || { echo "$again" >&2; exit 1; }
echo "$again" | grep -q "(1 of 8 tasks)" || { echo "submitted more than the lost point's task: $again" >&2; exit 1; }
cmp "$work/local/results.csv" "$work/slurm/results.csv"
echo "slurm and local executors agree"
