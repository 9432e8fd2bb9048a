#!/bin/sh
# parallel.sh — a sweep spec sharded over GNU parallel, then merged (docs/sweeps.md).
#
#   sh scripts/cluster/parallel.sh SPEC.lua OUT.csv [SHARDS] [PARALLEL OPTIONS...]
#
# runs `npusim sweep SPEC --shard K/SHARDS --resume -o OUT.part-K.csv` for K = 0..SHARDS-1
# (default SHARDS: 4 per job slot) on GNU parallel, one thread per shard, then
# `npusim merge`. Every shard resumes its own part file, so running the script again after a
# crash or a Ctrl-C only computes what is missing. Extra options go to parallel, e.g.
#   -j 8                                   8 shards at a time (default: one per core)
#   --sshlogin 16/node1,16/node2 --workdir "$PWD"   other machines sharing this directory
# NPUSIM names the binary (default: npusim on PATH; on --sshlogin hosts too). The one-liner
# this script wraps, for 16 shards on the local cores:
#   parallel --will-cite npusim sweep study.lua --shard {}/16 --threads 1 --resume \
#       -o study.csv.part-{}.csv ::: $(seq 0 15) &&
#   npusim merge --spec study.lua study.csv.part-*.csv -o study.csv
set -eu
[ $# -ge 2 ] || { sed -n '3,16p' "$0" >&2; exit 2; }
spec=$1 out=$2
shift 2
shards=${1:-}
if [ -n "$shards" ] && [ "${shards#-}" = "$shards" ]; then shift; else
    shards=$((4 * $(nproc 2>/dev/null || echo 1)))
fi
npusim=${NPUSIM:-npusim}
command -v parallel >/dev/null 2>&1 ||
    { echo "parallel.sh: GNU parallel is not installed (Debian: apt-get install parallel)" >&2; exit 1; }
# {} is the shard number; the part files sit beside OUT
seq 0 $((shards - 1)) | parallel --will-cite --halt now,fail=1 "$@" \
    "$npusim" sweep "$spec" --shard "{}/$shards" --threads 1 --resume -o "$out.part-{}.csv"
set --
k=0
while [ "$k" -lt "$shards" ]; do
    set -- "$@" "$out.part-$k.csv"
    k=$((k + 1))
done
"$npusim" merge --force --spec "$spec" "$@" -o "$out"
