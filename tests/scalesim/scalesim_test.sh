#!/bin/sh
# scalesim_test.sh — npusim as a drop-in for SCALE-Sim v2 (issue 21): a scale.cfg as -a, the
# DP-row quirk under fidelity=scalesim, and the report files compared with SCALE-Sim's own
# (tests/golden/scalesim/reports/<case>/, written by SCALE-Sim v2 itself).
. tests/cli/lib.sh
G=tests/golden/scalesim/reports

# --- 1. scale.cfg as the architecture -----------------------------------------------------
for df in os ws is; do
    expect "cfg $df runs" 0 run -a $G/alexnet_32x32_$df/scale.cfg -f csv $G/alexnet.csv
    # SCALE-Sim's Total Cycles, layer by layer
    want=$(awk -F', *' 'NR > 1 { printf "%s ", $2 }' $G/alexnet_32x32_$df/COMPUTE_REPORT.csv)
    got=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "cycles") c = i }
                   NR > 1 && $1 != "total" && $1 != "" { printf "%s ", $c }' "$T/out")
    if [ "$want" = "$got" ]; then ok "cfg $df cycles = SCALE-Sim"; else
        bad "cfg $df cycles = SCALE-Sim" "want $want got $got"; fi
done
expect "cfg --set wins" 0 params $G/alexnet_32x32_os/scale.cfg --set rows=8
if grep -Eq '^rows +8 ' "$T/out" && grep -Eq '^fidelity +scalesim ' "$T/out"; then
    ok "cfg rows from --set, fidelity from CALC"; else bad "cfg --set" "$(head -5 "$T/out")"; fi

# errors name file:line and what
cfgerr() { # NAME TEXT WANT
    printf '%s\n' "$2" >"$T/bad.cfg"
    expect "cfg error: $1" 1 run -a "$T/bad.cfg" $G/alexnet.csv
    has "cfg error text: $1" "$T/err" "$3"
}
A='[architecture_presets]
ArrayHeight: 8
ArrayWidth: 8
IfmapSramSzkB: 64
FilterSramSzkB: 64
OfmapSramSzkB: 64'
cfgerr "unknown key" "$A
Speed: 3" "bad.cfg:7: unknown key 'Speed'"
cfgerr "dataflow" "$A
Dataflow: xs" "bad.cfg:7: Dataflow 'xs' is not os, ws or is"
cfgerr "missing dataflow" "$A" "has no Dataflow"
cfgerr "sparsity rep" "$A
Dataflow: ws
[sparsity]
SparsitySupport : true
SparseRep : csr" "bad.cfg:10: SparseRep 'csr' is not supported"
cfgerr "sparsity mapping" "$A
Dataflow: ws
[sparsity]
OptimizedMapping : True" "bad.cfg:9: OptimizedMapping = True is not supported"
cfgerr "sparsity bool" "$A
Dataflow: ws
[sparsity]
SparsitySupport : maybe" "bad.cfg:9: SparsitySupport 'maybe' is not True or False"
cfgerr "ramulator" "$A
Dataflow: ws
[run_presets]
UseRamulatorTrace: True" "bad.cfg:9: UseRamulatorTrace = True is not supported"
cfgerr "user without bandwidth" "$A
Dataflow: ws
[run_presets]
InterfaceBandwidth: USER" "bad.cfg:9: InterfaceBandwidth USER needs a Bandwidth"
cfgerr "section" "[arch]" "bad.cfg:1: unknown section [arch]"
cfgerr "zero height" "[architecture_presets]
ArrayHeight: 0" "bad.cfg:2: ArrayHeight '0' is not an integer >= 1"
printf '%s\nDataflow: ws\nBandwidth: 4, 8\n[run_presets]\nInterfaceBandwidth: USER\n' "$A" >"$T/user.cfg"
expect "cfg USER" 0 params "$T/user.cfg"
if grep -Eq '^dma_bytes +4 ' "$T/out" && grep -Eq '^fidelity +detailed ' "$T/out"; then
    ok "cfg USER: first Bandwidth, detailed"; else bad "cfg USER" "$(cat "$T/out")"; fi

# --- 2. DP rows: SCALE-Sim's reading in fidelity=scalesim, a depthwise conv otherwise --------
cyc() { # LAYER : the cycles of LAYER in the csv run in $T/out
    awk -F, -v l="$1" 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "cycles") c = i; if ($i == "macs") m = i } }
                       $2 == l { print $c; exit }' "$T/out"
}
macs() {
    awk -F, -v l="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "macs") m = i }
                       $2 == l { print $m; exit }' "$T/out"
}
expect "DP is 8x16" 0 run -a $G/dp_8x16_is/scale.cfg -f csv $G/dp_8x16_is/topology.csv
[ "$(cyc DPtest)" = 29784 ] && ok "DP is 8x16 = SCALE-Sim 8 x 3723" || bad "DP is" "$(cyc DPtest)"
[ "$(cyc ConvA)" = 20411 ] && ok "ConvA is 8x16 = SCALE-Sim" || bad "ConvA is" "$(cyc ConvA)"
expect "DP os 8x4" 0 run -a systolic --set fidelity=scalesim --set dataflow=os --set rows=8 \
    --set cols=4 -f csv $G/dp_8x16_is/topology.csv
[ "$(cyc DPtest)" = 29784 ] && ok "DP os 8x4 = SCALE-Sim" || bad "DP os" "$(cyc DPtest)"
[ "$(macs DPtest)" = 451584 ] && ok "DP scalesim MACs 8 x 8 x 784 x 9" || bad "DP macs" "$(macs DPtest)"
expect "DP detailed" 0 run -a $G/dp_8x16_is/scale.cfg --set fidelity=detailed -f csv \
    $G/dp_8x16_is/topology.csv
[ "$(macs DPtest)" = 56448 ] && ok "DP detailed: a depthwise conv (8 x 784 x 9)" ||
    bad "DP detailed macs" "$(macs DPtest)"
printf 'h\nDPm, 30, 30, 3, 3, 8, 16, 1,\n' >"$T/dpm.csv"
expect "DP multiplier" 0 run -f csv "$T/dpm.csv"
[ "$(macs DPm)" = 112896 ] && ok "DP num filter 16 on 8 channels: multiplier 2" ||
    bad "DP multiplier macs" "$(macs DPm)"
printf 'h\nDPx, 30, 30, 3, 3, 8, 3, 1,\n' >"$T/dpx.csv"
expect "DP bad num filter" 1 run "$T/dpx.csv"
has "DP bad num filter text" "$T/err" "dpx.csv:2:22: depthwise (DP) layer: num filter 3"
expect "DP any num filter in scalesim" 0 run -a systolic --set fidelity=scalesim "$T/dpx.csv"

# --- 3. SCALE-Sim's report files, column by column --------------------------------------------
# cmpcols NAME OURS THEIRS COLS : same header line, same rows; the listed columns (1-based,
# space separated) equal: integers and whole floats (cycles: "3723.0") as text, other floats to
# 1e-13 relative (SCALE-Sim averages Mapping Efficiency and Compute Util over folds, we use the
# closed form: the last 1-2 of 16-17 digits differ, at most 1.2e-14 on these files)
cmpcols() {
    if ! [ -s "$2" ]; then bad "$1" "$2 missing"; return; fi
    if [ "$(head -1 "$2")" != "$(head -1 "$3")" ]; then
        bad "$1 header" "$(head -1 "$2")"; return; fi
    msg=$(awk -F', *' -v cols="$4" 'NR == FNR { a[FNR] = $0; n = FNR; next }
        { m = FNR; split(a[FNR], x, /, */); nc = split(cols, c, " ")
          for (i = 1; i <= nc; i++) { u = x[c[i]] + 0; v = $c[i] + 0; d = u - v; if (d < 0) d = -d
              t = v < 0 ? -v : v
              exact = index($c[i], ".") == 0 || $c[i] ~ /\.0$/
              if (d > 1e-13 * t || (exact && x[c[i]] != $c[i]))
                  printf "LayerID %d col %d: ours %s, SCALE-Sim %s\n", FNR - 2, c[i], x[c[i]], $c[i] } }
        END { if (n != m) printf "%d rows, SCALE-Sim %d\n", n - 1, m - 1 }' "$2" "$3")
    if [ -z "$msg" ]; then ok "$1"; else bad "$1" "$(echo "$msg" | head -3)"; fi
}
# Every column of the three files, LayerID included. On AlexNet the IFMAP and FILTER operands do
# not fit their read buffer: the timing of SCALE-Sim's later fetches (DRAM IFMAP/FILTER Stop
# Cycle, hence their Avg DRAM BW) and the IFMAP's re-reads are not reproduced there
# (docs/scalesim.md §4); the DP case, whose operands fit, pins those columns too.
ALL6="1 2 3 4 5 6"
ALL19="1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19"
for c in alexnet_32x32_os alexnet_32x32_ws alexnet_32x32_is dp_8x16_is; do
    topo=$G/alexnet.csv bw=$ALL6 da=$ALL19
    [ -f $G/$c/topology.csv ] && topo=$G/$c/topology.csv
    case $c in alexnet*) bw="1 2 3 4 7" da="1 2 3 4 5 6 7 8 9 10 11 14 16 17 18 19" ;; esac
    expect "reports $c" 0 run -a $G/$c/scale.cfg --scalesim-reports "$T/$c" $topo
    cmpcols "COMPUTE_REPORT $c: columns $ALL6" "$T/$c/COMPUTE_REPORT.csv" \
        $G/$c/COMPUTE_REPORT.csv "$ALL6"
    cmpcols "BANDWIDTH_REPORT $c: columns $bw" "$T/$c/BANDWIDTH_REPORT.csv" \
        $G/$c/BANDWIDTH_REPORT.csv "$bw"
    cmpcols "DETAILED_ACCESS_REPORT $c: columns $da" "$T/$c/DETAILED_ACCESS_REPORT.csv" \
        $G/$c/DETAILED_ACCESS_REPORT.csv "$da"
done
# The IFMAP's DRAM reads where SCALE-Sim's own equal the SRAM reads (WS conv2, conv4, conv5:
# no word is reused within the read buffer's active half): npusim's FIFO approximation of the
# buffer gives them exactly (docs/scalesim.md §4); the other AlexNet rows are not pinned.
for l in 1 3 4; do
    ours=$(awk -F', *' -v l=$l '$1 == l { print $13 }' "$T/alexnet_32x32_ws/DETAILED_ACCESS_REPORT.csv")
    want=$(awk -F', *' -v l=$l '$1 == l { print $13 }' $G/alexnet_32x32_ws/DETAILED_ACCESS_REPORT.csv)
    [ -n "$want" ] && [ "$ours" = "$want" ] && ok "WS LayerID $l DRAM IFMAP Reads = SCALE-Sim" ||
        bad "WS LayerID $l DRAM IFMAP Reads" "ours $ours, SCALE-Sim $want"
done
expect "reports never overwrite" 1 run -a $G/dp_8x16_is/scale.cfg --scalesim-reports \
    "$T/dp_8x16_is" $G/dp_8x16_is/topology.csv
has "reports never overwrite text" "$T/err" "file exists"
expect "reports need the systolic model" 1 run -a nv_small --scalesim-reports "$T/nv" \
    $G/dp_8x16_is/topology.csv
has "reports need the systolic model text" "$T/err" "describe a systolic array, not the nvdla model"

# --- 4. npusim scalesim: scale.py's command line, reports into OUTDIR/<run_name>/ -----------
expect "scalesim command" 0 scalesim -c $G/alexnet_32x32_is/scale.cfg -t $G/alexnet.csv -p "$T/sp"
cmpcols "scalesim command: COMPUTE_REPORT" "$T/sp/alexnet_32x32_is/COMPUTE_REPORT.csv" \
    $G/alexnet_32x32_is/COMPUTE_REPORT.csv "1 2 3 4 5 6"
cmpcols "scalesim command: BANDWIDTH_REPORT" "$T/sp/alexnet_32x32_is/BANDWIDTH_REPORT.csv" \
    $G/alexnet_32x32_is/BANDWIDTH_REPORT.csv "1 2 3 4 7"
cmpcols "scalesim command: DETAILED_ACCESS_REPORT" \
    "$T/sp/alexnet_32x32_is/DETAILED_ACCESS_REPORT.csv" \
    $G/alexnet_32x32_is/DETAILED_ACCESS_REPORT.csv "1 2 3 4 5 6 7 8 9 10 11 14 16 17 18 19"
expect "scalesim command keeps files" 1 scalesim -c $G/alexnet_32x32_is/scale.cfg \
    -t $G/alexnet.csv -p "$T/sp"
has "scalesim command keeps files text" "$T/err" "file exists"
expect "scalesim command --force" 0 scalesim -c $G/alexnet_32x32_is/scale.cfg \
    -t $G/alexnet.csv -p "$T/sp" --force
printf 'Layer, M, N, K,\nG1, 64, 48, 40,\n' >"$T/mnk.csv"
expect "scalesim -i gemm" 0 scalesim -c $G/dp_8x16_is/scale.cfg -t "$T/mnk.csv" -p "$T/sg" -i gemm
# IS 8x16: Sr = K = 40 (5 row folds), Sc = M = 64 (4 col folds), T = N = 48: 20 x 78 - 1
has "scalesim -i gemm cycles" "$T/sg/dp_8x16_is/COMPUTE_REPORT.csv" "0, 1559, 0,"
expect "scalesim GEMM file without -i gemm" 1 scalesim -c $G/dp_8x16_is/scale.cfg -t "$T/mnk.csv" \
    -p "$T/sg2"
has "scalesim GEMM file without -i gemm text" "$T/err" "run with -i gemm"
expect "scalesim needs -p" 2 scalesim -c $G/dp_8x16_is/scale.cfg -t "$T/mnk.csv"
has "scalesim needs -p text" "$T/err" "-p OUTDIR is required"
expect "scalesim -i" 2 scalesim -c $G/dp_8x16_is/scale.cfg -t "$T/mnk.csv" -p "$T/sg" -i fc
has "scalesim -i text" "$T/err" "expected conv or gemm"
expect "scalesim -l" 2 scalesim -l layout.csv
has "scalesim -l text" "$T/err" "custom layouts are not supported"
grep -v run_name $G/dp_8x16_is/scale.cfg >"$T/norun.cfg"
expect "scalesim run_name" 1 scalesim -c "$T/norun.cfg" -t "$T/mnk.csv" -p "$T/sg"
has "scalesim run_name text" "$T/err" "run_name '' is missing"
sed 's/CALC/USER/' $G/dp_8x16_is/scale.cfg >"$T/user2.cfg"
expect "scalesim USER" 1 scalesim -c "$T/user2.cfg" -t "$T/mnk.csv" -p "$T/sg"
has "scalesim USER text" "$T/err" "stall model is not reproduced"
expect "help scalesim" 0 help scalesim

# --- 6. v3 N:M sparsity: filter rows compressed along K (docs/scalesim.md) ----------------------
# WS 32x32, K = 3*3*64 = 576 on the rows: 18 row folds dense and 4:4, 9 at 2:4 (K' = 288);
# 2 column folds, T = 14*14 = 196, per fold 2*32 + 32 + 196 - 2 = 290 cycles.
printf 'L, H, W, Fh, Fw, C, N, S, Sp,\nd, 16, 16, 3, 3, 64, 64, 1, 4:4,\ns, 16, 16, 3, 3, 64, 64, 1, 2:4,\nx, 16, 16, 3, 3, 64, 64, 1,\ns1, 16, 16, 3, 3, 64, 64, 1, 1:4,\n' >"$T/nm.csv"
sed 's/Dataflow : os/Dataflow : ws/; s/run_name = .*/run_name = nm/' $G/alexnet_32x32_os/scale.cfg >"$T/nm0.cfg"
printf '\n[sparsity]\nSparsitySupport : true\nSparseRep : ellpack_block\nOptimizedMapping : false\nBlockSize : 4\nRandomNumberGeneratorSeed : 40\n' | cat "$T/nm0.cfg" - >"$T/nm.cfg"
expect "N:M scalesim" 0 scalesim -c "$T/nm.cfg" -t "$T/nm.csv" -p "$T/nm" --force
# 4:4 = dense = 36 x 290 - 1; 2:4 = 18 x 290 - 1; 1:4 (K' = 144, 5 row folds) = 10 x 290 - 1
nmc=$(awk -F', *' 'NR > 1 { printf "%s ", $2 }' "$T/nm/nm/COMPUTE_REPORT.csv")
[ "$nmc" = "10439 5219 10439 2899 " ] && ok "N:M cycles: 2:4 = half the row folds, 4:4 = dense" ||
    bad "N:M cycles" "$nmc"
expect "N:M off" 0 scalesim -c "$T/nm0.cfg" -t "$T/nm.csv" -p "$T/nm0" --force
nmc=$(awk -F', *' 'NR > 1 { printf "%s ", $2 }' "$T/nm0/nm/COMPUTE_REPORT.csv")
[ "$nmc" = "10439 10439 10439 10439 " ] && ok "N:M without SparsitySupport: dense" ||
    bad "N:M off" "$nmc"
expect "N:M run -a cfg" 0 run -a "$T/nm.cfg" -f csv "$T/nm.csv"
[ "$(cyc s)" = 5219 ] && ok "N:M run -a cfg = scalesim command" || bad "N:M run" "$(cyc s)"
sed 's/CALC/USER/' "$T/nm.cfg" >"$T/nmu.cfg"
# one layer per run (independent layers overlap in the detailed fidelity)
head -2 "$T/nm.csv" >"$T/nmd.csv"
sed -n '1p;3p' "$T/nm.csv" >"$T/nms.csv"
expect "N:M detailed 4:4" 0 run -a "$T/nmu.cfg" -f csv "$T/nmd.csv"
d=$(cyc d)
expect "N:M detailed 2:4" 0 run -a "$T/nmu.cfg" -f csv "$T/nms.csv"
s2=$(cyc s)
[ -n "$d" ] && [ -n "$s2" ] && [ "$s2" -lt "$d" ] && ok "N:M detailed: 2:4 faster ($s2 < $d)" ||
    bad "N:M detailed" "d=$d s=$s2"
expect "N:M detailed explain" 0 explain -a "$T/nmu.cfg" "$T/nms.csv" s
# filter K' x N = 288 x 64 values + 2 metadata bits each (M = 4): 18432 + 4608 bytes
has "N:M detailed metadata bytes" "$T/out" "filter: 23040 B per sub-problem"
printf 'h\nb, 8, 8, 3, 3, 1, 1, 1, 2:0,\n' >"$T/nmbad.csv"
expect "N:M M=0" 1 scalesim -c "$T/nm.cfg" -t "$T/nmbad.csv" -p "$T/nmb" --force
has "N:M M=0 text" "$T/err" "nmbad.csv:2:24: sparsity '2:0' is not of the form N:M"
printf 'Layer, M, N, K,\ng, 64, 32, 256, 3:2,\n' >"$T/nmbad2.csv"
expect "N:M N>M" 1 scalesim -c "$T/nm.cfg" -t "$T/nmbad2.csv" -p "$T/nmb" -i gemm --force
has "N:M N>M text" "$T/err" "nmbad2.csv:2:16: sparsity '3:2' is not of the form N:M"

# --- 6. Address traces (--traces): SCALE-Sim's layer<N>/*_TRACE.csv layout, gzip ----------------
# Small layers with 1 KiB ifmap and filter buffers (neither fits: the re-read paths) and a
# 64 KiB ofmap buffer (no mid-layer drain): every trace's valid addresses (not -1) add up to the
# report's count, and its first and last cycles with one are the report's start and stop.
# Exception, documented: in OS the report's OFMAP SRAM writes include 2 x cu per fold whose
# place SCALE-Sim does not say (docs/scalesim.md §4), so that one is not compared.
printf 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc1, 20, 20, 3, 3, 8, 8, 1,\nc2, 15, 15, 3, 3, 4, 40, 2,\n' >"$T/trt.csv"
trsum() { # GZ : "count first last" of the valid entries
    gzip -dc "$1" | awk -F, '{ v = 0; for (i = 2; i <= NF; i++) if ($i != -1) { c++; v = 1 }
        if (v) { if (!s) { f = $1; s = 1 }; l = $1 } } END { printf "%d %d %d", c, f, l }'
}
for df in os ws is; do
    printf '[general]\nrun_name = tr\n[architecture_presets]\nArrayHeight: 8\nArrayWidth: 16\nIfmapSramSzkB: 1\nFilterSramSzkB: 1\nOfmapSramSzkB: 64\nIfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\nDataflow: %s\n' $df >"$T/tr_$df.cfg"
    expect "traces $df" 0 scalesim -c "$T/tr_$df.cfg" -t "$T/trt.csv" -p "$T/tr_$df" --traces
    R="$T/tr_$df/tr/DETAILED_ACCESS_REPORT.csv"
    for l in 0 1; do
        i=0
        for t in IFMAP_SRAM FILTER_SRAM OFMAP_SRAM IFMAP_DRAM FILTER_DRAM OFMAP_DRAM; do
            i=$((i + 1))
            [ $df = os ] && [ $t = OFMAP_SRAM ] && continue
            got=$(trsum "$T/tr_$df/tr/layer$l/${t}_TRACE.csv.gz")
            # report columns of this trace: start, stop, count at 3i-1, 3i, 3i+1 (LayerID is 1)
            want=$(awk -F', *' -v l=$l -v i=$i '$1 == l { printf "%d %d %d", $(3*i+1), $(3*i-1), $(3*i) }' "$R")
            [ "$got" = "$want" ] && ok "trace $df layer$l $t = report" ||
                bad "trace $df layer$l $t" "trace (count first last) $got, report $want"
        done
    done
done
# the layout: cycle then one address per lane (8 rows in WS for the streamed ifmap), offsets
gzip -dc "$T/tr_ws/tr/layer0/IFMAP_SRAM_TRACE.csv.gz" | awk -F, 'NR == 1 && NF == 9 && $1 == 0 { ok = 1 } END { exit !ok }' &&
    ok "trace row: cycle + 8 lanes" || bad "trace row" "$(gzip -dc "$T/tr_ws/tr/layer0/IFMAP_SRAM_TRACE.csv.gz" | head -1)"
gzip -dc "$T/tr_ws/tr/layer0/FILTER_SRAM_TRACE.csv.gz" | grep -q ',10000000' &&
    ok "trace FilterOffset" || bad "trace FilterOffset" "no address 10000000"
# the size bound: refused before anything is written
printf 'Layer, M, N, K,\nbig, 512, 1024, 4096,\n' >"$T/trbig.csv"
expect "traces over the limit" 1 scalesim -c "$T/tr_ws.cfg" -t "$T/trbig.csv" -p "$T/trbig" -i gemm --traces
has "traces over the limit text" "$T/err" "over the limit of 134217728"
[ -e "$T/trbig/tr/layer0" ] && bad "traces over the limit: nothing written" "layer0 exists" ||
    ok "traces over the limit: nothing written"
# negative cycles print as Python floats ("-50.0", not "-5e+01")
grep -q ', -50.0,' "$T/tr_os/tr/DETAILED_ACCESS_REPORT.csv" && ok "negative cycle as -50.0" ||
    bad "negative cycle" "$(sed -n 2p "$T/tr_os/tr/DETAILED_ACCESS_REPORT.csv")"

finish
