#!/bin/sh
# workload_test.sh — `npusim run --workload` end to end (docs/workloads.md): the table, CSV and
# JSON views, and the usage errors of a spec.
. "$(dirname "$0")/lib.sh"

expect "two workloads" 0 run -a rk3588 --workload det=mobilenet_v2:core_mask=0 \
    --workload cls=resnet18:core_mask=1:count=2
grep -q "^det  *mobilenet_v2  *core_mask=0  *back to back  *1 " "$T/out" && ok "det row" || bad "det row" "$(head -5 "$T/out")"
grep -q "== cls: resnet18, median frame" "$T/out" && ok "per-layer table" || bad "per-layer table"
expect "quiet" 0 run -a rk3588 -q --workload det=mobilenet_v2
[ "$(wc -l <"$T/out")" -eq 4 ] && ok "-q: the summary only" || bad "-q: the summary only" "$(cat "$T/out")"
expect "csv" 0 run -a rk3588 -f csv --workload d=mobilenet_v2:fps=100:count=3
[ "$(wc -l <"$T/out")" -eq 2 ] && grep -q "^d,mobilenet_v2,,100,,3," "$T/out" && ok "csv row" || bad "csv row" "$(cat "$T/out")"
expect "json" 0 run -a rk3588 -f json --workload d=mobilenet_v2 --workload e=resnet18:after=d
grep -q '"schema": "npusim.workloads/1"' "$T/out" && grep -q '"after": "d"' "$T/out" && ok "json keys" || bad "json keys"
expect "graph and workload" 2 run -a rk3588 --workload d=mobilenet_v2 resnet18
expect "no graph" 2 run -a rk3588
expect "bad spec" 2 run -a rk3588 --workload mobilenet_v2
expect "bad count" 2 run -a rk3588 --workload d=mobilenet_v2:count=1.5
expect "bad setting" 2 run -a rk3588 --workload d=mobilenet_v2:core_mask
expect "trace" 0 run -a rk3588 --trace "$T/t.json" --workload d=mobilenet_v2:count=2 \
    --workload e=resnet18:core_mask=1
grep -q '"layers: d"' "$T/t.json" && grep -q '"layers: e"' "$T/t.json" &&
    grep -q '"name":"rknn_rt@e"' "$T/t.json" && ok "a track group per workload" ||
    bad "a track group per workload" "$(head -c 600 "$T/t.json")"
expect "trace exists" 1 run -a rk3588 --trace "$T/t.json" --workload d=mobilenet_v2
expect "plot refused" 2 run -a rk3588 --plot "$T/p.svg" --workload d=mobilenet_v2
expect "unknown key" 1 run -a rk3588 --workload d=mobilenet_v2:nosuch=1
grep -q "workload d" "$T/err" && ok "names the workload" || bad "names the workload" "$(cat "$T/err")"
expect "chip key" 1 run -a rk3588 --workload d=mobilenet_v2:dram.gbps=5
expect "other model" 1 run -a ascend310 --workload d=mobilenet_v2 --workload e=resnet18
expect "card" 0 run -a atlas300i -q --workload d=mobilenet_v2 --workload e=resnet18:chip=2
finish
