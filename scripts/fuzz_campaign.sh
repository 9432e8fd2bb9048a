#!/usr/bin/env bash
# fuzz_campaign.sh — a long libFuzzer campaign for one target of tests/fuzz, outside CI
# (docs/fuzzing.md, "The last long campaign").
#
#   bash scripts/fuzz_campaign.sh TARGET [RUNS] [DIR]
#
# TARGET is onnx, npg, scalesim, npuc, params, lua, run or luaapi; RUNS the executions to make (default
# 10000000); DIR (default $HOME/npusim-fuzz, never inside the repository) keeps, per target, the
# corpus the campaign grows (DIR/TARGET/corpus: a second call continues from it), the log
# (DIR/TARGET/log), the findings (DIR/TARGET/findings/crash-…, leak-…, timeout-…, oom-…,
# slow-unit-…) and one line per finished run in DIR/results.tsv. The target runs under
# `nice -n 19` in build-fuzz/ (clang, ASan+UBSan, -DNPU_FUZZ=ON; built here if missing), with
# the dictionary and seeds of scripts/quickstart.sh. FUZZ_MAX_SECONDS=S stops it after S seconds
# if it has not made RUNS executions by then (a campaign on a shared machine).
#
# It prints, at the end: executions, wall time, executions per second, edges and features
# reached (libFuzzer's `cov:` and `ft:`), the corpus size and the findings. libFuzzer stops at the
# first finding: the exit status is then 1 and the file is in DIR/TARGET/findings/ (fix it, copy
# it into tests/fuzz/crashes/TARGET/, as docs/fuzzing.md says).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd -P)
t=${1:?usage: fuzz_campaign.sh TARGET [RUNS] [DIR]}
runs=${2:-10000000}
dir=${3:-$HOME/npusim-fuzz}
case "$t" in
onnx | npg | scalesim | npuc | run | luaapi) seeds=() ;;
params) seeds=("$repo/models/presets") ;;
lua) seeds=("$repo/scripts/zoo") ;;
*)
    echo "fuzz_campaign: unknown target '$t' (onnx, npg, scalesim, npuc, params, lua, run, luaapi)" >&2
    exit 2
    ;;
esac
case "$runs" in
'' | *[!0-9]*)
    echo "fuzz_campaign: RUNS must be a positive number, got '$runs'" >&2
    exit 2
    ;;
esac
mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)
case "$dir/" in
"$repo"/*)
    echo "fuzz_campaign: DIR $dir is inside the repository (the corpus grows to thousands" \
        "of files)" >&2
    exit 2
    ;;
esac
bin=build-fuzz/tests/${t}_fuzz
if [ ! -x "$bin" ]; then
    cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNPU_WERROR=ON \
        -DCMAKE_C_COMPILER=clang -DNPU_SANITIZE=ON -DNPU_FUZZ=ON >/dev/null
    nice -n 19 cmake --build build-fuzz -j2 --target "${t}_fuzz" >/dev/null
fi
td=$dir/$t
mkdir -p "$td/corpus" "$td/findings"
log=$td/log
start=$(date +%s)
rc=0
# -timeout: an input that takes 25 s is a hang; -rss_limit_mb: 2.5 GB is unbounded growth
(cd "$td" && nice -n 19 "$repo/$bin" -runs="$runs" -max_total_time="${FUZZ_MAX_SECONDS:-0}" \
    -timeout=25 -rss_limit_mb=2560 \
    -dict="$repo/tests/fuzz/$t.dict" -print_final_stats=1 -artifact_prefix="$td/findings/" \
    "$td/corpus" "$repo/tests/fuzz/corpus/$t" "${seeds[@]}" >"$log" 2>&1) || rc=$?
secs=$(($(date +%s) - start))
stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
execs=$(stat number_of_executed_units)
done_line=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$log" | tail -1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
corpus=$(find "$td/corpus" -type f | wc -l)
found=$(find "$td/findings" -type f -printf '%f ' 2>/dev/null)
[ "$rc" -ne 0 ] && [ -z "$found" ] && found="exit $rc (see $log)"
printf '%s: %s executions in %s s (%s/s), cov %s, ft %s, corpus %s, findings: %s\n' "$t" \
    "${execs:-?}" "$secs" "$((${execs:-0} / (secs > 0 ? secs : 1)))" "${cov:-?}" "${ft:-?}" \
    "$corpus" "${found:-none}"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "${execs:-?}" "$secs" \
    "${cov:-?}" "${ft:-?}" "$corpus" "${found:-none}" >>"$dir/results.tsv"
[ "$rc" -eq 0 ] || exit 1
