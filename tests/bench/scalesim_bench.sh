#!/bin/sh
# scalesim_bench.sh — how long `npusim scalesim` takes on SCALE-Sim's own topologies (issue 21):
# for every TOPOLOGY.csv given (GEMM files: name contains "mnk" or "gemm", run with -i gemm),
# on each of the three dataflows of CONFIG, the mean CPU time (user + system, so that a loaded
# machine does not inflate it) and wall time of REPS runs of the whole process (config and
# topology read, simulation, the report files written). Prints figures, never passes or fails
# (not a ctest).
#   sh tests/bench/scalesim_bench.sh [-r REPS] [-n NPUSIM] CONFIG.cfg TOPOLOGY.csv...
reps=5 npusim=./build/npusim
while [ $# -gt 0 ]; do
    case $1 in
    -r) reps=$2; shift 2 ;;
    -n) npusim=$2; shift 2 ;;
    *) break ;;
    esac
done
[ $# -ge 2 ] || { echo "usage: $0 [-r REPS] [-n NPUSIM] CONFIG.cfg TOPOLOGY.csv..." >&2; exit 2; }
cfg=$1; shift
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
printf '%-28s %-3s %14s %14s\n' topology df "CPU ms per run" "wall ms"
for topo in "$@"; do
    it=conv
    case $(basename "$topo" | tr 'A-Z' 'a-z') in *mnk* | *gemm*) it=gemm ;; esac
    for df in os ws is; do
        sed "s/^\([Dd]ataflow *[:=]\).*/\1 $df/" "$cfg" >"$tmp/b.cfg"
        out=$(sh -c 't0=$(date +%s%N); i=0
            while [ $i -lt "$1" ]; do
                "$2" scalesim -c "$3" -t "$4" -p "$5" -i "$6" --force >/dev/null || exit 1
                i=$((i + 1))
            done
            t1=$(date +%s%N); echo "$t0 $t1"; times' sh "$reps" "$npusim" "$tmp/b.cfg" "$topo" \
            "$tmp/out" $it) || exit 1
        echo "$out" | awk -v r="$reps" -v t="$(basename "$topo")" -v d=$df '
            function sec(x,  m) { m = 0; if (x ~ /m/) { m = substr(x, 1, index(x, "m") - 1)
                                   x = substr(x, index(x, "m") + 1) }
                                   sub(/s$/, "", x); return m * 60 + x }
            NR == 1 { wall = ($2 - $1) / 1e6 / r }
            NR == 3 { cpu = (sec($1) + sec($2)) * 1000 / r }
            END { printf "%-28s %-3s %14.2f %14.2f\n", t, d, cpu, wall }'
    done
done
