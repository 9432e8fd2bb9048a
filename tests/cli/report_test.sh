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

finish
