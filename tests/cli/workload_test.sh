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
# a plain run on a card spreads its frames: a stream per chip (docs/workloads.md)
expect "card spread" 0 run -a atlas300i -q resnet18
grep -q "^card: frames spread by stream over 4 chips" "$T/out" && grep -q "^chip3  *resnet18  *chip=3 .* 8 " "$T/out" &&
    ok "a stream of 8 frames per chip" || bad "a stream of 8 frames per chip" "$(cat "$T/out")"
expect "card one chip" 0 run -a atlas300i -q --set card.spread=one resnet18
grep -q "images/s" "$T/out" && ! grep -q "^card:" "$T/out" && ok "card.spread=one: the plain run" ||
    bad "card.spread=one: the plain run" "$(cat "$T/out")"
expect "card compare refused" 1 compare -a atlas300i,ascend310 resnet18
grep -q "one chip of a card" "$T/err" && ok "says why compare refuses a card" || bad "says why compare refuses a card" "$(cat "$T/err")"
expect "card plot refused" 2 run -a atlas300i --plot "$T/p2.svg" resnet18
grep -q "card.spread=one" "$T/err" && ok "says how to plot one chip" || bad "says how to plot one chip" "$(cat "$T/err")"
# layer pipelining: stages on the cores, the pipeline's summary
expect "pipeline" 0 run -a rk3588 -q --workload p=resnet18:pipeline=3:count=4
grep -q "^p.s2  *resnet18.s2  *core_mask=2  *after p.s1 " "$T/out" && grep -q "^p: cut before .*; stage busy: s0 " "$T/out" &&
    ok "stages and their busy time" || bad "stages and their busy time" "$(cat "$T/out")"
expect "pipeline json" 0 run -a rk3588 -f json --workload p=resnet18:pipeline=2:count=2
grep -q '"pipelines": \[' "$T/out" && grep -q '"stages": \[{"workload": "p.s0", "busy_us": ' "$T/out" &&
    ok "pipelines in json" || bad "pipelines in json"
expect "card key per workload" 1 run -a atlas300i --workload d=resnet18:card.frames=2
grep -q "shared by every workload" "$T/err" && ok "card.* is the card's" || bad "card.* is the card's" "$(cat "$T/err")"
finish
