#!/bin/sh
# update_golden.sh — the golden run matrix: every built-in preset × resnet50, mobilenet_v2,
# yolov8n, as `npusim run -f json`, pinned under tests/golden/runs/PRESET.NETWORK.json.
#
#   scripts/update_golden.sh                 regenerate every file (after a change that is
#                                            meant to move numbers; review `git diff --stat`)
#   scripts/update_golden.sh --check         compare, change nothing (the ctest golden_runs)
#   scripts/update_golden.sh --out DIR       write the matrix to DIR instead (before/after
#                                            checks of a refactoring: run it on both trees and
#                                            `diff -r` the two directories)
#
# The binary is $NPUSIM, else build/npusim. The preset list comes from `npusim list presets`,
# so a new preset is part of the matrix by itself; --check then fails until its files exist.
# Exit status of --check: 0 all identical, 1 a file differs or is missing or stale.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
NPUSIM=${NPUSIM:-$here/build/npusim}
gold=$here/tests/golden/runs
mode=update
out=$gold
case "${1:-}" in
--check) mode=check ;;
--out)
    [ $# -ge 2 ] || { echo "update_golden.sh: --out needs a directory" >&2; exit 2; }
    out=$2 ;;
"") ;;
*) echo "usage: scripts/update_golden.sh [--check | --out DIR]" >&2; exit 2 ;;
esac
case $NPUSIM in /*) ;; *) NPUSIM=$(pwd)/$NPUSIM ;; esac # the runs happen in /
[ -x "$NPUSIM" ] || { echo "update_golden.sh: no npusim at $NPUSIM (build first or set NPUSIM)" >&2; exit 2; }
NETWORKS="resnet50 mobilenet_v2 yolov8n"
presets=$("$NPUSIM" list presets) || { echo "update_golden.sh: npusim list presets failed" >&2; exit 2; }

# Is BASENAME (without .json) a run of the matrix?
expected() {
    for p in $presets; do for net in $NETWORKS; do [ "$1" = "$p.$net" ] && return 0; done; done
    return 1
}

if [ "$mode" = check ]; then
    out=$(mktemp -d) || exit 2
    trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out" || exit 2
fail=0
for p in $presets; do
    for n in $NETWORKS; do
        f=$p.$n.json
        # cd to a neutral directory: nothing in the output may depend on where it ran
        if ! (cd / && "$NPUSIM" run -a "$p" -f json "$n") >"$out/$f" 2>"$out/$f.err"; then
            echo "FAIL $f: npusim run -a $p -f json $n failed: $(cat "$out/$f.err")" >&2
            rm -f "$out/$f"
            fail=1
        fi
        rm -f "$out/$f.err"
    done
done
if [ "$mode" = update ]; then
    # files of presets or networks that no longer exist
    for f in "$out"/*.json; do
        [ -e "$f" ] || continue
        b=$(basename "$f" .json)
        expected "$b" || { rm -f "$f"; echo "removed stale $b.json"; }
    done
    [ $fail = 0 ] && echo "wrote $(ls "$out" | wc -l) golden runs to $out"
    exit $fail
fi
n=0
for p in $presets; do
    for net in $NETWORKS; do
        b=$p.$net.json
        [ -f "$out/$b" ] || continue # the run failed: said above
        n=$((n + 1))
        if [ ! -f "$gold/$b" ]; then
            echo "MISSING tests/golden/runs/$b (new preset? run scripts/update_golden.sh)" >&2
            fail=1
        elif ! cmp -s "$out/$b" "$gold/$b"; then
            echo "DIFFERS tests/golden/runs/$b:" >&2
            diff "$gold/$b" "$out/$b" | head -8 >&2
            fail=1
        fi
    done
done
for f in "$gold"/*.json; do
    [ -e "$f" ] || continue
    expected "$(basename "$f" .json)" || { echo "STALE tests/golden/runs/$(basename "$f") (no such preset/network now; run scripts/update_golden.sh)" >&2; fail=1; }
done
if [ $fail = 0 ]; then
    echo "golden runs: $n identical"
else
    echo "golden runs differ. If the change is meant to move these numbers, regenerate with" >&2
    echo "  scripts/update_golden.sh   (NPUSIM=path/to/npusim if not build/npusim)" >&2
    echo "and say in the commit message which figures moved and why." >&2
fi
exit $fail
