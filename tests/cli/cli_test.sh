#!/bin/sh
# cli_test.sh — the `npusim` command end to end (run by ctest with $NPUSIM = the binary).
#
# Covers: usage errors exit 2 with a hint; bad input exits 1 with "npusim: <file>..." on
# stderr; -o never overwrites without --force (and leaves the file untouched); --trace writes
# JSON that python3's json module accepts, and .gz that gunzips to the same; list, params,
# info, run in table/csv/json, compare, compile/disasm/exec, script.
# Each check prints "ok"/"FAIL" and the script ends with "N passed, N failed" like the C tests.
. tests/cli/lib.sh

PY=$(command -v python3 || true)
json_ok() { # NAME FILE
    if [ -z "$PY" ]; then
        echo "skip $1 (no python3)"
        return 0
    fi
    if "$PY" -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$2" \
        2>"$T/pyerr"; then
        ok "$1"
    else
        bad "$1" "$(cat "$T/pyerr")"
    fi
}

cat >"$T/tiny.npg" <<'EOF'
npg 1
graph tiny
# a conv stack with a residual add
input  data  1x8x16x16 int8
conv   c1    data  out=16 k=3 s=1 p=1 act=relu
conv   c2    c1    out=16 k=3 s=1 p=1
add    sum   c2 c1 act=relu
output sum
EOF

cat >"$T/sys8.lua" <<'EOF'
return { model = "systolic", name = "sys8", doc = "8x8 array for the CLI test",
         rows = 8, cols = 8 }
EOF

# ---- usage errors: exit 2 with a hint to --help ------------------------------------------------
expect "no arguments -> 2" 2
expect "unknown command -> 2" 2 frobnicate x
has "unknown command names itself" "$T/err" "unknown command 'frobnicate'"
has "usage error hints at --help" "$T/err" "--help"
expect "did you mean" 2 rnu x
has "did-you-mean suggestion" "$T/err" "did you mean 'run'"
expect "unknown option -> 2" 2 run --bogus "$T/tiny.npg"
has "unknown option named" "$T/err" "unknown option '--bogus'"
expect "missing GRAPH -> 2" 2 run
expect "missing option argument -> 2" 2 run "$T/tiny.npg" -a
expect "bad format -> 2" 2 run -f xml "$T/tiny.npg"
expect "option not for command -> 2" 2 list --trace x.json
expect "extra argument -> 2" 2 info "$T/tiny.npg" extra
expect "--set without = -> 2" 2 run --set rows "$T/tiny.npg"
expect "--help -> 0" 0 --help
has "--help lists commands" "$T/out" "compare"
expect "run --help -> 0" 0 run --help
has "run --help shows usage" "$T/out" "usage: npusim run"
has "run --help names the default arch" "$T/out" "Without -a: systolic"
expect "help run -> 0" 0 help run
expect "--version -> 0" 0 --version
has "--version prints version" "$T/out" "npusim 0."

# ---- bad input: exit 1, "npusim: " + the file name ------------------------------------------
expect "missing file -> 1" 1 info "$T/nosuch.npg"
has "missing file named" "$T/err" "nosuch.npg"
has "message prefixed" "$T/err" "npusim: "
printf 'npg 1\ngraph broken\ninput data 1x3x8x8 int8\nconv c1 nothere out=4 k=3\n' >"$T/broken.npg"
expect "broken graph -> 1" 1 info "$T/broken.npg"
has "broken graph names file:line" "$T/err" "broken.npg:4"
expect "unknown arch -> 1" 1 run -a no_such_arch "$T/tiny.npg"
has "unknown arch named" "$T/err" "no_such_arch"
expect "bad --set value -> 1" 1 run --set rows=-5 "$T/tiny.npg"
has "bad --set names the key" "$T/err" "rows"

# ---- list / params / info ----------------------------------------------------------------------
expect "list -> 0" 0 list
has "list shows models" "$T/out" "systolic"
has "list shows networks" "$T/out" "resnet50"
expect "list models -> 0" 0 list models
expect "list archs -> 0" 0 list archs
expect "list networks -> 0" 0 list networks
has "list networks has resnet50" "$T/out" "resnet50"
expect "list bogus -> 2" 2 list bogus
expect "list -f json -> 0" 0 list -f json
json_ok "list json parses" "$T/out"
expect "params systolic -> 0" 0 params systolic
has "params shows rows" "$T/out" "rows"
has "params shows dram" "$T/out" "dram."
expect "params -f json -> 0" 0 params -f json systolic
json_ok "params json parses" "$T/out"
expect "params -f csv -> 0" 0 params -f csv --set rows=16 systolic
has "params csv header" "$T/out" "name,type,value,default,min,max,choices,unit,origin,source,doc"
has "params csv shows the --set" "$T/out" "rows,int,16,32,"
expect "info tiny -> 0" 0 info "$T/tiny.npg"
has "info shows layer" "$T/out" "c2"
has "info shows output shape" "$T/out" "1x16x16x16"
has "info op histogram" "$T/out" "ops: conv 2, add 1"
# c1: 16·8·9·256 = 294912, c2: 16·16·9·256 = 589824
has "info MACs" "$T/out" "884736 MACs"
expect "info -f json -> 0" 0 info -f json "$T/tiny.npg"
json_ok "info json parses" "$T/out"
expect "info from stdin -> 0" 0 info - <"$T/tiny.npg"
has "stdin graph read" "$T/out" "884736 MACs"

# ---- run in three formats ----------------------------------------------------------------------
expect "run table -> 0" 0 run "$T/tiny.npg"
has "table has totals" "$T/out" "total"
has "table has layer" "$T/out" "c1"
expect "run csv -> 0" 0 run -f csv "$T/tiny.npg"
HDR="index,name,op,engine,dtype,macs,cycles,start,end,share_cycles,ideal_cycles,util,compute_cycles,mem_stall_cycles,ctrl_stall_cycles,dram_rd_bytes,dram_wr_bytes,sram_rd_bytes,sram_wr_bytes,onchip_bytes,irq_count,irq_cycles,host_cycles,bound"
if head -n 1 "$T/out" | grep -q "^$HDR"; then ok "csv header is the field list"; else bad "csv header is the field list" "$(head -n 1 "$T/out")"; fi
cp "$T/out" "$T/run.csv"
expect "run json -> 0" 0 run -f json "$T/tiny.npg"
json_ok "run json parses" "$T/out"
has "json schema" "$T/out" '"schema": "npusim.result/3"'
cp "$T/out" "$T/run1.json"
expect "run json again -> 0" 0 run -f json "$T/tiny.npg"
if cmp -s "$T/out" "$T/run1.json"; then ok "json deterministic"; else bad "json deterministic"; fi
expect "run --dtype int8 -> 0" 0 run --dtype int8 -f csv "$T/tiny.npg"
expect "run --dtype w4a16 -> 0" 0 run -a rk3576 --dtype w4a16 -f csv "$T/tiny.npg"
expect "run --set wdtype=int4 --set adtype=fp16 -> 0" 0 run -a rk3576 --set wdtype=int4 --set adtype=fp16 -f csv "$T/tiny.npg"
expect "run --dtype w5a3 -> 1" 1 run --dtype w5a3 "$T/tiny.npg"
has "--dtype w5a3 names the mixed choices" "$T/err" "w4a16"
# a mixed dtype on a model that runs weights in the activation dtype is an error naming who can
expect "run -a nv_small --dtype w4a8 -> 1" 1 run -a nv_small --dtype w4a8 "$T/tiny.npg"
has "w4a8 on nvdla names the models with weight dtypes" "$T/err" "modelled by: rknpu, davinci"
expect "run -a systolic --set wdtype=int4 -> 1" 1 run -a systolic --set wdtype=int4 "$T/tiny.npg"
# the DaVinci Cube has no int4: int4 weights are refused by name, not run as int8 (issue #14)
expect "run -a ascend310 --dtype w4a8 -> 1" 1 run -a ascend310 --dtype w4a8 "$T/tiny.npg"
has "davinci int4 weights name the layer and the way out" "$T/err" "weights (int4): the DaVinci Cube has no int4"
expect "run -a ss928_svp --set wdtype=int4 -> 1" 1 run -a ss928_svp --set wdtype=int4 "$T/tiny.npg"
expect "run --set rows=8 -> 0" 0 run -a systolic --set rows=8 --set cols=8 -f json "$T/tiny.npg"
has "--set reaches the params" "$T/out" '"rows": 8'

# ---- -o never overwrites without --force ------------------------------------------------------
echo "keep me" >"$T/exists.csv"
expect "-o existing -> 1" 1 run -f csv -o "$T/exists.csv" "$T/tiny.npg"
has "-o refusal says --force" "$T/err" "--force"
if [ "$(cat "$T/exists.csv")" = "keep me" ]; then ok "existing file unchanged"; else bad "existing file unchanged"; fi
expect "-o --force -> 0" 0 run -f csv -o "$T/exists.csv" --force "$T/tiny.npg"
if cmp -s "$T/exists.csv" "$T/run.csv"; then ok "--force wrote the result"; else bad "--force wrote the result"; fi
expect "-o new file -> 0" 0 run -f csv -o "$T/new.csv" "$T/tiny.npg"
if cmp -s "$T/new.csv" "$T/run.csv"; then ok "-o wrote the result"; else bad "-o wrote the result"; fi
if [ ! -s "$T/out" ]; then ok "-o leaves stdout empty"; else bad "-o leaves stdout empty"; fi

# ---- traces --------------------------------------------------------------------------------------
expect "--trace json -> 0" 0 run --trace "$T/t.json" "$T/tiny.npg"
json_ok "trace json parses" "$T/t.json"
has "trace has events" "$T/t.json" '"traceEvents"'
has "trace has complete events" "$T/t.json" '"ph":"X"'
expect "--trace existing -> 1" 1 run --trace "$T/t.json" "$T/tiny.npg"
expect "--trace .gz -> 0" 0 run --trace "$T/t.json.gz" "$T/tiny.npg"
if gzip -dc "$T/t.json.gz" >"$T/t2.json" 2>"$T/gzerr"; then ok "trace .gz gunzips"; else bad "trace .gz gunzips" "$(cat "$T/gzerr")"; fi
json_ok "gunzipped trace parses" "$T/t2.json"
if cmp -s "$T/t.json" "$T/t2.json"; then ok "gz trace = plain trace"; else bad "gz trace = plain trace"; fi

# a chart or trace on stdout next to the table is refused, saying why (issue 15)
expect "--plot - with the table -> 1" 1 run --plot - "$T/tiny.npg"
has "--plot - names stdout" "$T/err" "stdout already carries the result"
expect "--trace - with the table -> 1" 1 run --trace - "$T/tiny.npg"
has "--trace - names stdout" "$T/err" "stdout already carries the result"
expect "--plot - and --trace - -> 1" 1 run -o "$T/tiny.csv" -f csv --plot - --trace - "$T/tiny.npg"
has "two on stdout named" "$T/err" "stdout already carries another chart or the trace"
expect "--plot - alone on stdout -> 0" 0 run -o "$T/tiny2.csv" -f csv --plot - "$T/tiny.npg"
has "--plot - writes the chart" "$T/out" "<svg"

# waiting for the host is control stall, never memory (issue 15): on a headless nv_large the
# SDP add reads 896 B and then waits for the CPU's op-done handling
run run -a nv_large --set headed=false -f csv resnet18
awk -F, '$2 == "layer1.0.add" { print ($15 > $14 ? "ok " $24 : "bad mem " $14 " ctrl " $15 " " $24) }' \
    "$T/out" >"$T/stall"
if grep -qx "ok host" "$T/stall"; then ok "host wait is control stall, bound host"
else bad "host wait is control stall, bound host" "$(cat "$T/stall")"; fi

# ---- compare -----------------------------------------------------------------------------------
expect "compare -> 0" 0 compare --preset-path "$T" -a systolic,sys8 "$T/tiny.npg"
has "compare has best column" "$T/out" "best"
has "compare names both" "$T/out" "sys8"
has "compare totals" "$T/out" "total cycles"
expect "compare csv -> 0" 0 compare --preset-path "$T" -a systolic,sys8 -f csv "$T/tiny.npg"
has "compare csv header" "$T/out" "kind,name,op,systolic,sys8,best"
expect "compare json -> 0" 0 compare --preset-path "$T" -a systolic,sys8 -f json "$T/tiny.npg"
json_ok "compare json parses" "$T/out"
# one best-of for the CLI and Lua (issue 15): by time, never a fused (0-cycle) layer
cat >"$T/best.lua" <<'EOF'
local c = npusim.compare { archs = { arg[1], arg[2] }, graph = arg[3] }
for _, l in ipairs(c.layers) do print(l.name .. "," .. (l.best or "")) end
EOF
for pair in "ascend310 rk3588 lenet5" "systolic tpu_v1 resnet18" "rk3566 rk3588 resnet18"; do
    set -- $pair
    run compare -a "$1,$2" -f csv "$3"
    awk -F, '$1 == "layer" { print $2 "," $NF }' "$T/out" >"$T/best_cli"
    awk -F, '$1 == "layer" && ($4 == "0" || $5 == "0") && $NF != "" { print $2 }' "$T/out" \
        >"$T/fused_won"
    run script "$T/best.lua" "$1" "$2" "$3"
    if [ -s "$T/best_cli" ] && cmp -s "$T/best_cli" "$T/out"; then ok "compare best = Lua best ($pair)"
    else bad "compare best = Lua best ($pair)" "$(diff "$T/best_cli" "$T/out" | head -5)"; fi
    if [ ! -s "$T/fused_won" ]; then ok "no fused layer wins ($pair)"
    else bad "no fused layer wins ($pair)" "$(head -3 "$T/fused_won")"; fi
done
expect "compare without -a -> 2" 2 compare "$T/tiny.npg"
expect "compare unknown arch -> 1" 1 compare -a systolic,nope "$T/tiny.npg"

# ---- compile / disasm / exec / explain ---------------------------------------------------------
expect "compile -> 0" 0 compile -a systolic "$T/tiny.npg" -o "$T/p.npuc"
expect "compile without -o -> 2" 2 compile "$T/tiny.npg"
expect "compile existing -> 1" 1 compile "$T/tiny.npg" -o "$T/p.npuc"
expect "disasm -> 0" 0 disasm "$T/p.npuc"
has "disasm prints the program" "$T/out" "model systolic"
has "disasm names the layers" "$T/out" "c1"
expect "exec -> 0" 0 exec -f json "$T/p.npuc"
json_ok "exec json parses" "$T/out"
# the same run, but a program has no graph: its layer shapes are null (result/3) and it has no
# deployment footprint (a program file has no graph to measure it on)
nofp() {
    sed -E -e 's/"in_shape": [^,]*, "out_shape": [^,]*, "kernel": [^,]*, "stride": [^,]*/"in_shape": null, "out_shape": null, "kernel": null, "stride": null/' \
        -e 's/, "live_bytes": [0-9]*//' -e 's/, "total_weight_size": .*}/}/' "$1"
}
nofp "$T/run1.json" >"$T/run1.fp"
if nofp "$T/out" | cmp -s - "$T/run1.fp"; then ok "exec = run"; else bad "exec = run" "$(nofp "$T/out" | diff - "$T/run1.fp" | head -5)"; fi
printf 'garbage' >"$T/bad.npuc"
expect "disasm garbage -> 1" 1 disasm "$T/bad.npuc"
has "garbage program named" "$T/err" "bad.npuc"
expect "explain -> 0" 0 explain "$T/tiny.npg" c2
expect "explain unknown layer -> 1" 1 explain "$T/tiny.npg" nolayer
has "explain names the layer" "$T/err" "nolayer"

# ---- issue 11: --batch, zoo args on files, dtype honesty, names, throughput units -----------------
ONNX=${NPU_SOURCE_DIR:-.}/tests/onnx
expect "info --batch 16 onnx -> 0" 0 info --batch 16 "$ONNX/resnet18.onnx"
has "--batch 16: 16x the MACs (1814073344 x 16)" "$T/out" "29025173504 MACs, 11689512 parameters"
has "info says the batch and what a run produces" "$T/out" "batch: 16 (16 images per run)"
expect "info -f json --batch 2 -> 0" 0 info -f json --batch 2 "$ONNX/resnet18.onnx"
has "info json batch" "$T/out" '"batch": 2, "items": 2, "unit": "image"'
expect "run --batch 16 onnx -> 0" 0 run --batch 16 "$ONNX/tiny_cnn.onnx"
has "summary per image, 16 per run" "$T/out" "images/s (16 per run)"
has "generic ONNX name gives way to the file's" "$T/out" "graph tiny_cnn on"
expect "run --batch json -> 0" 0 run --batch=4 -f json "$ONNX/resnet18.onnx" -a rk3588
has "json batch" "$T/out" '"batch": 4, "items": 4, "unit": "image", "items_per_s": '
has "json fps beside" "$T/out" '"fps": '
has "exporter's main_graph replaced" "$T/out" '"graph": "resnet18"'
json_ok "json with the new fields parses" "$T/out"
expect "--batch 0 -> 2" 2 run --batch 0 "$T/tiny.npg"
expect "--batch x -> 2" 2 run --batch 3x "$T/tiny.npg"
expect "--batch on a dynamic-batch export -> 0" 0 info --batch 4 "$ONNX/reshape_chain.onnx"
has "the folded Shape chain follows the batch" "$T/out" "Reshape_7         reshape  4x48"
printf 'npg 1\ninput x 1x4x2x2 int8\nrelu r x\nreshape v r shape=1,-1\n' >"$T/rs.npg"
expect "--batch on a hard-coded reshape -> 1" 1 run --batch 4 "$T/rs.npg"
has "hard-coded reshape named" "$T/err" "rs.npg:4: reshape 'v': shape=1,-1 hard-codes batch 1"
expect "--batch on the zoo -> 0" 0 info --batch 2 yolov5s
has "zoo batch 2" "$T/out" "16433561600 MACs"
printf 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nConv1, 10, 10, 3, 3, 4, 8, 1,\n' >"$T/ss.csv"
expect "--batch on SCALE-Sim -> 0" 0 info --batch 3 "$T/ss.csv"
has "SCALE-Sim batch 3: 3 x 8x8x8x36 MACs" "$T/out" "55296 MACs"
printf 'Layer Name, M, N, K,\nG1, 128, 64, 256,\n' >"$T/gemm.csv"
expect "--batch on a GEMM's rows -> 1" 1 info --batch 3 "$T/gemm.csv"
has "GEMM rows are no batch" "$T/err" "has no batch dimension"
expect "--zoo-args on a file -> 1" 1 info --zoo-args batch=2 "$T/tiny.npg"
has "zoo args on a file named" "$T/err" "zoo arguments 'batch=2' apply to built-in networks only"
has "zoo args on a file: --batch hint" "$T/err" "(use --batch)"
expect "nv_small fp16 -> 1" 1 run -a nv_small --dtype fp16 "$T/tiny.npg"
has "unsupported dtype names what runs" "$T/err" "nv_small (model nvdla) cannot run dtype=fp16 (it would run int8 instead); it runs int8"
expect "rk3588 fp32 -> 1" 1 compile -a rk3588 --dtype fp32 "$T/tiny.npg" -o "$T/f32.npuc"
has "rk3588 fp32 lists its dtypes" "$T/err" "it runs int4, int8, uint8, int16, fp16, bf16"
expect "rk3588 fp16 -> 0" 0 run -a rk3588 --dtype fp16 "$T/tiny.npg"
LM="layers=1,hidden=64,heads=2,kv_heads=1,ffn=128,vocab=256"
expect "prefill -> 0" 0 run transformer --zoo-args "tokens=8,$LM"
has "prefill in tokens/s" "$T/out" "tokens/s (8 per run), 0.01"
has "prefill time to first token" "$T/out" "ms to first token"
expect "decode -> 0" 0 run -f json transformer --zoo-args "tokens=1,kv=8,$LM"
has "decode: one token per run" "$T/out" '"batch": 1, "items": 1, "unit": "token"'
has "decode: no first token" "$T/out" '"first_token_ms": 0,'
expect "compile --batch -> 0" 0 compile --batch 4 -a rk3588 "$ONNX/tiny_cnn.onnx" -o "$T/b4.npuc"
expect "exec batch program -> 0" 0 exec "$T/b4.npuc"
has "a saved program keeps its unit" "$T/out" "images/s (4 per run)"
X=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
cat >"$T/long.npg" <<EOF
npg 1
graph long
input x 1x8x8x8 int8
conv backbone.stage1.block1.unit.conv x out=8 k=3 p=1
conv backbone.stage1.block2.unit.conv backbone.stage1.block1.unit.conv out=8 k=3 p=1
conv backbone.stage1.${X}1.${X}conv backbone.stage1.block2.unit.conv out=8 k=3 p=1
conv backbone.stage1.${X}2.${X}conv backbone.stage1.${X}1.${X}conv out=8 k=3 p=1
EOF
expect "long names -> 0" 0 run "$T/long.npg"
has "shortened names stay distinct (1)" "$T/out" "backbone~1.unit.conv"
has "shortened names stay distinct (2)" "$T/out" "backbone~2.unit.conv"
has "no split separates: the row number" "$T/out" "~#2 "
has "no split separates: the row number (2)" "$T/out" "~#3 "

# ---- the ops exporters decompose activations into run unfused on every preset -------------------
cat >"$T/unfused.npg" <<'EOF'
npg 1
input x 1x8x16x16 fp16
erf e x
softplus s e
reciprocal r s
mish m r
conv c m out=8 k=3 p=1 act=mish
output c
EOF
npresets=0
for a in $("$NPUSIM" list 2>/dev/null | sed -n '/^archs/,/^networks/p' | awk '/^  [a-z]/ {print $1}'); do
    expect "erf/softplus/reciprocal/mish run on $a" 0 run -a "$a" -f csv "$T/unfused.npg"
    npresets=$((npresets + 1))
done
if [ "$npresets" -ge 10 ]; then ok "unfused ops: $npresets presets"; else bad "unfused ops: only $npresets presets listed"; fi

# ---- decomposed activations fuse back: the same cycles as the zoo's fused layers ----------------
# The zoo's prepared yolov5s (act=silu) and mobilenet_v2 (act=relu6, and the same net with
# act=hardswish) written as .npg, then every fused activation spelled the way exporters write
# it: x·sigmoid(x), clip(x, 0, 6) with constant bounds, x·clip(x+3, 0, 6)·0.16667.
cat >"$T/wz.lua" <<EOF
for _, n in ipairs({ "yolov5s", "mobilenet_v2" }) do
  assert(npusim.graph(n):write_npg("$T/z_" .. n .. ".npg", { force = true }))
end
EOF
expect "zoo written as .npg" 0 script "$T/wz.lua"
sed 's/ act=relu6/ act=hardswish/' "$T/z_mobilenet_v2.npg" >"$T/z_hswish.npg"
decompose() { # IN OUT: every act=silu|relu6|hardswish layer L becomes L/pre + the chain named L
    awk '$1 == "input" && !c { print; print "const dz_three scalar fp32 value=3";
                               print "const dz_six scalar fp32 value=6";
                               print "const dz_zero scalar fp32 value=0";
                               print "const dz_sixth 1 fp32 value=0.16667"; c = 1; next }
         match($0, / act=(silu|relu6|hardswish)/) {
             act = substr($0, RSTART + 5, RLENGTH - 5); n = $2; line = $0
             sub(/ act=[a-z0-9]+/, "", line); sub(" " n " ", " " n "/pre ", line); print line
             if (act == "silu") { print "sigmoid " n "/sig " n "/pre"; print "mul " n " " n "/pre " n "/sig" }
             else if (act == "relu6") print "clip " n " " n "/pre dz_zero dz_six"
             else { print "add " n "/a " n "/pre dz_three"; print "clip " n "/r " n "/a dz_zero dz_six"
                    print "mul " n "/q " n "/pre " n "/r"; print "mul " n " " n "/q dz_sixth" }
             next }
         { print }' "$1" >"$2"
}
decompose "$T/z_yolov5s.npg" "$T/d_yolov5s.npg"
decompose "$T/z_mobilenet_v2.npg" "$T/d_mobilenet_v2.npg"
decompose "$T/z_hswish.npg" "$T/d_hswish.npg"
has "silu spelled out" "$T/d_yolov5s.npg" "mul model.0 model.0/pre model.0/sig"
has "relu6 spelled out" "$T/d_mobilenet_v2.npg" "clip features.0 features.0/pre dz_zero dz_six"
has "hardswish spelled out" "$T/d_hswish.npg" "mul features.0 features.0/q dz_sixth"
for n in yolov5s mobilenet_v2 hswish; do
    for a in rk3588 ascend310 nv_small; do
        run run -a "$a" "$T/z_$n.npg"
        want=$(grep -oE '^[0-9]+ cycles' "$T/out")
        run run -a "$a" "$T/d_$n.npg"
        got=$(grep -oE '^[0-9]+ cycles' "$T/out")
        if [ -n "$want" ] && [ "$want" = "$got" ]; then ok "decomposed $n on $a: $got"
        else bad "decomposed $n on $a" "fused: $want, decomposed: $got $(head -c 300 "$T/err")"; fi
    done
done

# ---- scripts -------------------------------------------------------------------------------------
cat >"$T/hello.lua" <<'EOF'
print("hello " .. tostring(arg and arg[1]))
EOF
expect "script -> 0" 0 script "$T/hello.lua" world
has "script ran with args" "$T/out" "hello world"
expect "npusim FILE.lua -> 0" 0 "$T/hello.lua" there
has "FILE.lua shortcut" "$T/out" "hello there"
printf 'local x = nil\nx.y = 1\n' >"$T/oops.lua"
expect "failing script -> 1" 1 script "$T/oops.lua"
has "script error names file:line" "$T/err" "oops.lua:2"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
