#!/bin/sh
# exporter_style.sh — ONNX files written as the exporters write them (tests/onnx/exporter_style.py:
# a torchvision resnet50 with BN folded into conv biases and Flatten + Gemm, a YOLOv8-style
# C2f + SPPF block with SiLU as x*Sigmoid(x), a transformer block with nn.Linear as MatMul by a
# constant [K, N] + Add(bias), an MLP of rank-2 Gemm(transB=1)) give the same total cycles
# (within 0.5 %) as the zoo's network or the same network built from npusim's own layers (.npg),
# on every preset, at the preset's default dtype and at int8 (issue 11's blind check).
# Run with $NPUSIM = the binary. A missing python3-onnx is a failure naming the package.
set -u
: "${NPUSIM:?NPUSIM must point at the npusim binary}"
: "${NPU_SOURCE_DIR:=.}"
T=$(mktemp -d "${TMPDIR:-/tmp}/npusim_expst.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
PY=
for p in /usr/bin/python3 python3; do
    if "$p" -c 'import onnx, numpy' >/dev/null 2>&1; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
    echo "FAIL no python3 can 'import onnx, numpy': install python3-onnx"
    exit 1
fi
"$PY" "$NPU_SOURCE_DIR/tests/onnx/exporter_style.py" "$T" || { echo "FAIL exporter_style.py"; exit 1; }
PRESETS=${PRESETS:-$("$NPUSIM" list presets)}
pass=0
fail=0
cycles() { # ARCH DTYPE GRAPH -> total cycles on stdout
    # a card preset spreads a plain run over its chips (docs/workloads.md): one chip here
    one=
    "$NPUSIM" params "$1" | grep -q '^card\.spread ' && one="--set card.spread=one"
    "$NPUSIM" run -a "$1" --dtype "$2" $one -f csv "$3" 2>"$T/err" |
        awk -F, 'NR > 1 && $1 != "" && $1 ~ /^[0-9]+$/ { if ($9 + 0 > e) e = $9 + 0 } END { print e + 0 }'
}
for a in $PRESETS; do
    for dt in auto int8; do
        for pair in "resnet50 $T/resnet50_tv.onnx" "$T/yolo_block.npg $T/yolo_block.onnx" \
            "$T/linear_block.npg $T/linear_block.onnx" "$T/gemm_rank2.npg $T/gemm_rank2.onnx"; do
            set -- $pair
            z=$(cycles "$a" "$dt" "$1")
            if [ "$z" = 0 ]; then
                # a dtype the arch does not run is an error for both: nothing to compare
                if grep -q "cannot run dtype" "$T/err"; then continue; fi
                fail=$((fail + 1)); echo "FAIL $a $dt $1: $(head -c 300 "$T/err")"; continue
            fi
            o=$(cycles "$a" "$dt" "$2")
            if awk -v z="$z" -v o="$o" 'BEGIN { d = (o - z) / z; exit !(d <= 0.005 && d >= -0.005) }'; then
                pass=$((pass + 1))
            else
                fail=$((fail + 1))
                echo "FAIL $a $dt $(basename "$2"): $o cycles vs $(basename "$1") $z ($(awk -v z="$z" -v o="$o" 'BEGIN { printf "%+.2f %%", (o - z) * 100 / z }'))"
            fi
        done
    done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
