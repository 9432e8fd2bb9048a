#!/bin/sh
# slurm_test.sh — the Slurm recipe (scripts/cluster/slurm.sh) on a real one-node Slurm: munged,
# slurmctld and slurmd started here on localhost from a generated slurm.conf (temporary
# directory, free ports, the current user), a 200-point study submitted as an 8-task job
# array plus the dependent merge job, and the merged file compared with a single-process run.
# Where the daemons are missing or cannot start (no slurm-wlm/munge, a container without the
# rights slurmd needs) the test says why and exits 77 (ctest: skipped), never passes silently.
. "${NPU_SOURCE_DIR:?}/tests/cli/lib.sh"
src=$NPU_SOURCE_DIR
skip() { echo "SKIP: $1"; exit 77; }

for b in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v "$b" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$b" >/dev/null 2>&1 ||
        skip "'$b' not found (Debian packages slurm-wlm and munge; see docs/sweeps.md)"
done
PATH=$PATH:/usr/sbin:/sbin
D=$T/slurm
mkdir -p "$D/state" "$D/spool" "$D/munge" "$D/work"
chmod 700 "$D/munge"
# daemons we started, stopped at exit (by their pids only)
stop() {
    for f in "$D/slurmd.pid" "$D/slurmctld.pid" "$D/munge/munged.pid"; do
        [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
    done
    sleep 0.5
    rm -rf "$T"
}
trap stop EXIT INT TERM

# munge: our own key and socket
mungekey -c -k "$D/munge/munge.key" >/dev/null 2>&1 ||
    dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 600 "$D/munge/munge.key"
munged --force --key-file="$D/munge/munge.key" --socket="$D/munge/munge.sock" \
    --pid-file="$D/munge/munged.pid" --log-file="$D/munge/munged.log" \
    --seed-file="$D/munge/munged.seed" >"$D/munged.out" 2>&1 ||
    skip "munged does not start here: $(head -c 300 "$D/munged.out")"

free_port() { # a TCP port nobody listens on, from a range unlikely to be in use
    p=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done 2>/dev/null
    echo "$p"
}
host=$(hostname -s)
user=$(id -un)
cport=$(free_port $((20000 + $$ % 20000)))
dport=$(free_port $((cport + 1)))
cat >"$D/slurm.conf" <<CONF
ClusterName=npusimtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=$user
SlurmdUser=$user
SlurmctldPort=$cport
SlurmdPort=$dport
AuthType=auth/munge
AuthInfo=socket=$D/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MaxArraySize=1001
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$D/slurm.conf"
slurmctld -i >"$D/ctld.out" 2>&1 || skip "slurmctld does not start here: $(tail -c 300 "$D/ctld.out")"
slurmd >"$D/d.out" 2>&1 || skip "slurmd does not start here: $(tail -c 300 "$D/d.out")"
i=0
until sinfo -h -o %T 2>/dev/null | grep -qx idle; do
    i=$((i + 1))
    [ $i -lt 150 ] || skip "the node never became idle: $(sinfo 2>&1 | tail -n 3); slurmd log: $(tail -n 5 "$D/slurmd.log" 2>/dev/null)"
    sleep 0.2
done
ok "one-node Slurm up (ports $cport/$dport)"

cat >"$D/work/study.lua" <<'LUA'
return {
  arch = "nv_small",
  graph = { "lenet5", "mobilenet_v1" },
  vary = { ["dram.gbps"] = { 1.6, 3.2, 6.4, 12.8, 25.6 }, freq_mhz = { 250, 500, 1000, 2000, 4000 },
           cbuf_banks = { 16, 32 }, sdp_throughput = { 1, 2 } },
  metrics = { "cycles", "time_us", "fps" },
}
LUA
expect "single-process run" 0 sweep "$D/work/study.lua" -o "$D/work/ref.csv"
[ "$(wc -l <"$D/work/ref.csv")" -eq 201 ] && ok "200 points" || bad "200 points"
NPUSIM=$NPUSIM sh "$src/scripts/cluster/slurm.sh" "$D/work/study.lua" "$D/work/study.csv" 8 \
    >"$D/submit.out" 2>&1 && ok "slurm.sh submitted the array and the merge" ||
    bad "slurm.sh" "$(head -c 600 "$D/submit.out")"
merge_job=$(tail -n 1 "$D/submit.out")
i=0
while squeue -h 2>/dev/null | grep -q .; do
    i=$((i + 1))
    [ $i -lt 600 ] || { bad "jobs still queued after 2 minutes" "$(squeue 2>&1 | head)"; break; }
    sleep 0.2
done
state=$(scontrol show job "$merge_job" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
[ "$state" = COMPLETED ] || [ -z "$state" ] && ok "merge job done ($state)" ||
    bad "merge job $merge_job: $state" "$(cat "$D/work/"*.out 2>/dev/null | head -c 600)"
cmp -s "$D/work/study.csv" "$D/work/ref.csv" && ok "8-task Slurm array merges to the single-process bytes" ||
    bad "Slurm merge differs" "$(ls "$D/work"; cat "$D/work/"*.out 2>/dev/null | head -c 600)"
finish
