#!/bin/sh
# slurm.sh — a sweep spec as a Slurm job array, then a dependent merge job (docs/sweeps.md).
#
#   sh scripts/cluster/slurm.sh SPEC.lua OUT.csv SHARDS [SBATCH OPTIONS...]
#
# submits
#   sbatch --array=0-(SHARDS-1)  npusim sweep SPEC --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT
#                                --resume --threads $SLURM_CPUS_PER_TASK -o OUT.part-$SLURM_ARRAY_TASK_ID.csv
#   sbatch --dependency=afterok:ARRAY   npusim merge --spec SPEC OUT.part-*.csv -o OUT
# and prints the two job ids (the merge job's last). Extra options go to both sbatch calls
# (-p PARTITION, -t TIME, -A ACCOUNT, --cpus-per-task N ...). A task that was killed (time
# limit, preemption) is rerun with `scontrol requeue` or by submitting again: --resume keeps
# its finished rows. The part files go beside OUT, so OUT's directory must be visible from
# the compute nodes (the usual shared home or scratch); the job logs too (OUT.slurm-*.out).
# NPUSIM names the binary (default: npusim on PATH on the compute nodes).
set -eu
[ $# -ge 3 ] || { sed -n '3,17p' "$0" >&2; exit 2; }
spec=$1 out=$2 shards=$3
shift 3
case $shards in '' | *[!0-9]*) echo "slurm.sh: SHARDS must be a positive integer" >&2; exit 2 ;; esac
[ "$shards" -ge 1 ] || { echo "slurm.sh: SHARDS must be at least 1" >&2; exit 2; }
npusim=${NPUSIM:-npusim}
case $spec in /*) ;; *) spec=$PWD/$spec ;; esac
case $out in /*) ;; *) out=$PWD/$out ;; esac
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; } # shell-quoted
array=$(sbatch --parsable --job-name=npusim-sweep --array="0-$((shards - 1))" \
    --output="$out.slurm-%A_%a.out" "$@" --wrap \
    "exec $(q "$npusim") sweep $(q "$spec") --shard \$SLURM_ARRAY_TASK_ID/\$SLURM_ARRAY_TASK_COUNT --threads \${SLURM_CPUS_PER_TASK:-1} --resume -o $(q "$out").part-\$SLURM_ARRAY_TASK_ID.csv")
array=${array%%;*}
echo "$array"
merge=$(sbatch --parsable --job-name=npusim-merge --dependency="afterok:$array" \
    --output="$out.slurm-merge-%j.out" "$@" --wrap \
    "exec $(q "$npusim") merge --force --spec $(q "$spec") $(q "$out").part-*.csv -o $(q "$out")")
echo "${merge%%;*}"
