#!/bin/sh
# scripts/plot on the small sweep: valid PNG and SVG files, one roofline per workload,
# the Pareto fronts drawn; a folder without results is one line and exit 1.
#   plot_test.sh TESSERA SOURCE_DIR
set -eu
tessera="$1"
source_dir="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$tessera" sweep "$source_dir/configs/sweeps/kv260-small.json" --out "$work/sweep" --quiet
"$source_dir/scripts/plot" "$work/sweep" --quiet
plots="$work/sweep/plots"
for name in roofline-stories15m-decode-4 pareto-dsp pareto-energy; do
  # PNG: the 8-byte signature; SVG: an XML document whose root is <svg>.
  [ "$(head -c 8 "$plots/$name.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    { echo "$name.png is not a PNG" >&2; exit 1; }
  /usr/bin/python3 -c "import sys, xml.etree.ElementTree as t; r = t.parse(sys.argv[1]).getroot(); sys.exit(r.tag != '{http://www.w3.org/2000/svg}svg')" "$plots/$name.svg" ||
    { echo "$name.svg is not an SVG document" >&2; exit 1; }
done
grep -q "Pareto front" "$plots/pareto-dsp.svg" || { echo "pareto-dsp.svg has no front" >&2; exit 1; }
grep -q "Pareto front" "$plots/pareto-energy.svg" || { echo "pareto-energy.svg has no front" >&2; exit 1; }
# kv260-small's two points with two 16x16 units are timed but over the K26's LUTs.
grep -q "does not fit the board" "$plots/pareto-dsp.svg" ||
  { echo "pareto-dsp.svg does not mark the points over the board" >&2; exit 1; }
[ "$(ls "$plots" | grep -c '^roofline-.*\.svg$')" -eq 1 ] || { echo "one roofline per workload" >&2; exit 1; }

if err=$("$source_dir/scripts/plot" "$work/nothing" 2>&1); then
  echo "plotting a folder without results succeeded" >&2; exit 1
fi
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || { echo "not one line: $err" >&2; exit 1; }
echo "plots written and valid"
