#!/bin/sh
# report_test.sh — the report views of `npusim` beyond the per-layer report (run by ctest with
# $NPUSIM = the binary): --summary (per op type / per engine), `npusim diff`, -q/-v.
# Each check prints "ok"/"FAIL"; the script ends with "N passed, N failed".
. tests/cli/lib.sh

PY=$(command -v python3 || true)
json_ok() { # NAME FILE
    if [ -z "$PY" ]; then echo "skip $1 (no python3)"; return 0; fi
    if "$PY" -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$2" \
        2>"$T/pyerr"; then ok "$1"; else bad "$1" "$(cat "$T/pyerr")"; fi
}
# eq NAME GOT WANT
eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi; }

# ---- --summary -------------------------------------------------------------------------------
expect "run -> 0" 0 run -a rk3588 -f csv resnet18
cp "$T/out" "$T/layers.csv"
nlayers=$(($(wc -l <"$T/layers.csv") - 1))
expect "run json -> 0" 0 run -a rk3588 -f json resnet18
total=$(grep -o '"total": {"cycles": [0-9]*' "$T/out" | grep -o '[0-9]*$')
for by in op engine; do
    expect "--summary $by csv -> 0" 0 run -a rk3588 --summary $by -f csv resnet18
    has "--summary $by csv header" "$T/out" "by,name,count,share_cycles,time_us,share,macs,"
    # the groups partition the layers and the run: counts add up to the layers, times to the total
    eq "--summary $by counts add up to the layers" \
        "$(awk -F, 'NR > 1 { n += $3 } END { print n }' "$T/out")" "$nlayers"
    eq "--summary $by times add up to the run" \
        "$(awk -F, 'NR > 1 { n += $4 } END { print n }' "$T/out")" "$total"
    eq "--summary $by rows are all '$by'" "$(awk -F, 'NR > 1 && $1 != "'$by'"' "$T/out")" ""
done
# the conv row: as many layers as the per-layer CSV has convs, their MACs summed
eq "--summary op: conv count" "$(grep -c '^[0-9]*,[^,]*,conv,' "$T/layers.csv")" \
    "$(run run -a rk3588 --summary op -f csv resnet18; awk -F, '$2 == "conv" { print $3 }' "$T/out")"
eq "--summary op: conv MACs" \
    "$(awk -F, '$3 == "conv" { n += $6 } END { print n }' "$T/layers.csv")" \
    "$(awk -F, '$2 == "conv" { print $7 }' "$T/out")"
expect "--summary op,engine table -> 0" 0 run -a rk3588 --summary op,engine resnet18
has "summary table: op column" "$T/out" "op "
has "summary table: engine column" "$T/out" "engine "
has "summary table: GOPS" "$T/out" "GOPS"
has "summary table: total row" "$T/out" "total "
expect "--summary json -> 0" 0 run -a rk3588 --summary engine,op -f json resnet18
json_ok "summary json parses" "$T/out"
has "summary json schema" "$T/out" '"schema": "npusim.summary/1"'
has "summary json version" "$T/out" '"version": "'
has "summary json ops" "$T/out" '"ops": ['
has "summary json engines" "$T/out" '"engines": ['
expect "--summary bad -> 2" 2 run --summary opp resnet18
has "--summary bad names it" "$T/err" "--summary 'opp'"
expect "--summary on info -> 2" 2 info --summary op resnet18
expect "compile -> 0" 0 compile -a nv_small lenet5 -o "$T/l.npuc"
expect "exec --summary -> 0" 0 exec --summary engine -f csv "$T/l.npuc"
has "exec --summary csv" "$T/out" "engine,"

# ---- --shapes --------------------------------------------------------------------------------
expect "run --shapes csv -> 0" 0 run -a rk3588 --shapes -f csv resnet18
has "--shapes: columns after the common fields" "$T/out" ",energy_uj,live_bytes,in_shape,out_shape,kernel,stride,"
has "--shapes: conv1 7x7/2 224 -> 112" "$T/out" ",conv1,conv,"
eq "--shapes: conv1 row" "$(grep ',conv1,conv,' "$T/out" | cut -d, -f34-37)" "1x3x224x224,1x64x112x112,7x7,2x2"
eq "--shapes: an add has two inputs" "$(grep ',layer1.0.add,' "$T/out" | cut -d, -f34-35)" \
    "1x64x56x56;1x64x56x56,1x64x56x56"
expect "run --shapes json -> 0" 0 run -a rk3588 --shapes -f json resnet18
json_ok "--shapes json parses" "$T/out"
has "--shapes json keys" "$T/out" '"in_shape": "1x3x224x224", "out_shape": "1x64x112x112", "kernel": "7x7", "stride": "2x2"'
has "--shapes json: no kernel for a gemm" "$T/out" '"name": "fc", "op": "gemm"'
cp "$T/out" "$T/shapes.json"
expect "run without --shapes -> 0" 0 run -a rk3588 -f json resnet18
if cmp -s "$T/out" "$T/shapes.json"; then ok "shapes by default (result/3): --shapes changes nothing"
else bad "shapes by default (result/3)" "$(diff "$T/out" "$T/shapes.json" | head -4)"; fi
expect "exec csv -> 0" 0 exec -f csv "$T/l.npuc"
eq "exec: shape columns empty (a program has no graph)" "$(sed -n 2p "$T/out" | cut -d, -f24,34-38)" "host,,,,,2"

# ---- stall labels (issue 15's command) -------------------------------------------------------
# nv_large without its MCU: layer1.0.add (896 B read) waits for the host CPU. That wait is
# control/host stall and the bound says "host" — it was 98 % mem, 0 % ctrl, bound "memory".
expect "run nv_large headless -> 0" 0 run -a nv_large --set headed=false -f csv resnet18
row=$(grep ',layer1.0.add,' "$T/out")
mem=$(echo "$row" | cut -d, -f14)
ctrl=$(echo "$row" | cut -d, -f15)
[ "$ctrl" -gt "$mem" ] && ok "host wait is control stall ($ctrl > $mem mem)" ||
    bad "host wait is control stall" "mem $mem, ctrl $ctrl"
eq "host wait: bound host" "$(echo "$row" | cut -d, -f24)" "host"

# ---- diff ------------------------------------------------------------------------------------
expect "run A -> 0" 0 run -a rk3588 -f json -o "$T/a.json" resnet18
expect "run B (half the DRAM bandwidth) -> 0" 0 run -a rk3588 --set dram.gbps=8 -f json \
    -o "$T/b.json" resnet18
expect "diff csv -> 0" 0 diff -f csv "$T/a.json" "$T/b.json"
cp "$T/out" "$T/d.csv"
has "diff csv header" "$T/d.csv" "kind,name,op,a,b,delta,change"
ca=$(grep -o '"total": {"cycles": [0-9]*' "$T/a.json" | grep -o '[0-9]*$')
cb=$(grep -o '"total": {"cycles": [0-9]*' "$T/b.json" | grep -o '[0-9]*$')
eq "diff: total cycles row is A, B, B-A" "$(grep '^total,cycles,' "$T/d.csv" | cut -d, -f4-6)" \
    "$ca,$cb,$((cb - ca))"
# shares partition a run: the layers' deltas add up to the change of the total time
eq "diff: layer deltas add up to the total's" \
    "$(awk -F, '$1 == "layer" { s += $6 } $1 == "total" && $2 == "time_us" { t = $6 }
                END { d = s - t; if (d < 0) d = -d; print (d < 0.01) ? "yes" : s " vs " t }' "$T/d.csv")" yes
expect "diff table -> 0" 0 diff "$T/a.json" "$T/b.json"
has "diff table: moved most" "$T/out" "moved most (of a +"
has "diff table: relative change" "$T/out" "change"
expect "diff json -> 0" 0 diff -f json "$T/a.json" "$T/b.json"
json_ok "diff json parses" "$T/out"
has "diff json schema" "$T/out" '"schema": "npusim.diff/1"'
has "diff json version" "$T/out" '"version": "'
has "diff json moved" "$T/out" '"moved": ["'
expect "diff of a file with itself -> 0" 0 diff "$T/a.json" "$T/a.json"
has "diff: nothing moved" "$T/out" "no layer moved."
sed 's/"name": "conv1"/"name": "stem"/' "$T/a.json" >"$T/r.json"
expect "diff renamed layer -> 0" 0 diff -f csv "$T/a.json" "$T/r.json"
has "diff: a layer only in A is gone" "$T/out" "layer,conv1,conv,"
has "diff: a layer only in B is new" "$T/out" "layer,stem,conv,,"
# bad files: one line naming the file and what is wrong, exit 1
printf '{"schema": "npusim.result/3",\n "total": {"cycles": 1}, "layers": [}\n' >"$T/bad.json"
expect "diff bad JSON -> 1" 1 diff "$T/a.json" "$T/bad.json"
has "diff bad JSON: file:line:col" "$T/err" "bad.json:2:"
expect "compare json -> 0" 0 compare -a rk3588,nv_small -f json -o "$T/c.json" lenet5
expect "diff of a compare result -> 1" 1 diff "$T/c.json" "$T/a.json"
has "diff: wrong schema named" "$T/err" 'c.json: schema "npusim.compare/1" is not a run result'
sed 's/"schema": "npusim.result\/3"/"schema": "npusim.result\/7"/' "$T/a.json" >"$T/v.json"
expect "diff of a newer schema -> 1" 1 diff "$T/v.json" "$T/a.json"
has "diff: newer schema named" "$T/err" "v.json: schema \"npusim.result/7\""
sed '0,/"cycles": [0-9]*/s//"cycles": "many"/' "$T/a.json" >"$T/w.json"
expect "diff wrong field type -> 1" 1 diff "$T/a.json" "$T/w.json"
has "diff: field named" "$T/err" "w.json: total.cycles: expected an integer, found a string"
sed '0,/"name": "conv1", /s///' "$T/a.json" >"$T/n.json"
expect "diff layer without a name -> 1" 1 diff "$T/a.json" "$T/n.json"
has "diff: layer named" "$T/err" 'n.json: layers[0]: no "name"'
expect "diff missing file -> 1" 1 diff "$T/a.json" "$T/none.json"
has "diff: missing file named" "$T/err" "none.json"
expect "diff one file -> 2" 2 diff "$T/a.json"

# ---- -q / -v ---------------------------------------------------------------------------------
expect "run -> 0" 0 run -a rk3588 resnet18
grep -E '^[0-9]+ cycles = ' "$T/out" >"$T/line"
expect "run -q -> 0" 0 run -q -a rk3588 resnet18
eq "run -q prints the result line alone" "$(cat "$T/out")" "$(cat "$T/line")"
eq "run -q: nothing on stderr" "$(cat "$T/err")" ""
expect "run -q -f csv -> 0" 0 run -q -f csv lenet5
has "-q leaves CSV whole" "$T/out" "index,name,op,"
expect "run -v -> 0" 0 run -v -a rk3588 -f csv -o "$T/v.csv" resnet18
has "-v: graph stage" "$T/err" "graph resnet18 loaded"
has "-v: architecture stage" "$T/err" "architecture rk3588 (model rknpu)"
has "-v: simulated" "$T/err" "simulated: 32 layers"
has "-v: wrote" "$T/err" "wrote $T/v.csv"
eq "-v: stdout untouched" "$(cat "$T/out")" ""
expect "--verbose on info -> 0" 0 info --verbose lenet5
expect "-q -v together -> 2" 2 run -q -v lenet5
expect "-vq glued -> 2" 2 run -vq lenet5

finish
