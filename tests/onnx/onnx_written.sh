#!/bin/sh
# onnx_written.sh — every ONNX file npusim writes passes onnx.checker.check_model, and
# `npusim convert` follows the CLI's output rules (run with $NPUSIM = the binary).
#
# Writes every zoo network, the .npg goldens, a SCALE-Sim CSV and a Lua-built graph, then checks
# them all in one python3 process with Debian's python3-onnx (check_model on the path, so the
# external-data side file must exist and be readable); float (fp32) versions of five CNNs and of three
# transformers (rank-3 gemms written as MatMul + Add, as torch.onnx does) also
# pass full_check (type and shape inference in strict mode). A python3 that cannot `import onnx` is
# a failure naming the package, never a silent pass.
: "${NPU_SOURCE_DIR:=.}"
# $T, ok/bad/finish: the shell tests' shared helpers
. "$NPU_SOURCE_DIR/tests/cli/lib.sh"

# the interpreter with python3-onnx (a pyenv python3 first on PATH may lack it)
PY=
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import onnx' >/dev/null 2>&1; then PY=$p; break; fi
done
[ -n "$PY" ] || bad "python3 with onnx" "no python3 can 'import onnx': install python3-onnx"

files=
conv() { # NAME GRAPH: npusim convert GRAPH -o $T/NAME.onnx
    if "$NPUSIM" convert "$2" -o "$T/$1.onnx" >"$T/out" 2>"$T/err"; then
        files="$files $T/$1.onnx"
    else
        bad "convert $2" "$(head -c 400 "$T/err")"
    fi
}
for n in $("$NPUSIM" list networks); do conv "$n" "$n"; done
cat >"$T/topo.csv" <<'CSV'
Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1, 224, 224, 11, 11, 3, 96, 4,
Conv2, 27, 27, 5, 5, 96, 256, 1,
CSV
for f in "$NPU_SOURCE_DIR"/tests/golden/*.npg "$T/topo.csv"; do
    b=$(basename "$f"); conv "${b%.*}" "$f"
done
# float versions: these must also pass full_check (ONNX type and shape inference, strict)
strict=
for n in resnet50 yolov5s yolov8n mobilenet_v2 googlenet qwen2_0_5b_prefill qwen2_0_5b_decode transformer; do
    if "$NPUSIM" convert "$n" --zoo-args dtype=fp32 -o "$T/$n.fp32.onnx" 2>"$T/err"; then
        strict="$strict $T/$n.fp32.onnx"
    else
        bad "convert $n dtype=fp32" "$(head -c 400 "$T/err")"
    fi
done
cat >"$T/built.lua" <<'LUA'
local b = npusim.builder("built", { input = {1, 3, 32, 32}, dtype = "fp16" })
local x = b:conv(b.input, { out = 16, k = 3, p = 1, act = "silu" })
x = b:maxpool(x, { k = 2, s = 2 })
local g = b:build()
assert(npusim.write_onnx(g, arg[1]))
local ok, msg = g:write_onnx(arg[1])
assert(not ok and msg:find("exists"), "write_onnx overwrote without force")
LUA
if "$NPUSIM" script "$T/built.lua" "$T/built.onnx" >"$T/out" 2>"$T/err"; then
    files="$files $T/built.onnx"
    ok "lua npusim.write_onnx"
else
    bad "lua npusim.write_onnx" "$(head -c 400 "$T/err")"
fi

if [ -n "$PY" ]; then
    # shellcheck disable=SC2086
    if "$PY" - $files -- $strict >"$T/out" 2>&1 <<'PYEOF'
import sys, onnx
bad, full = 0, False
for f in sys.argv[1:]:
    if f == "--":
        full = True
        continue
    try:
        onnx.checker.check_model(f, full_check=full)
    except Exception as e:
        bad += 1
        print("%s%s: %s" % (f, " (full_check)" if full else "", str(e).splitlines()[0]))
print("%d files checked, %d rejected" % (len(sys.argv) - 2, bad))
sys.exit(1 if bad else 0)
PYEOF
    then ok "onnx.checker accepts $(echo $files | wc -w) written files, full_check $(echo $strict | wc -w) float ones"
    else bad "onnx.checker" "$(cat "$T/out")"
    fi
fi

# output rules: as run -o (refuse to overwrite without --force; -o required; suffix decides)
"$NPUSIM" convert resnet18 -o "$T/built.onnx" >/dev/null 2>"$T/err"
if [ $? -eq 1 ] && grep -q "exists" "$T/err"; then ok "convert refuses to overwrite"
else bad "convert refuses to overwrite" "$(cat "$T/err")"; fi
touch "$T/r.onnx.data"
"$NPUSIM" convert resnet18 -o "$T/r.onnx" >/dev/null 2>"$T/err"
if [ $? -eq 1 ] && grep -q "r.onnx.data" "$T/err" && [ ! -e "$T/r.onnx" ]; then
    ok "convert refuses to overwrite the side file"
else bad "convert refuses to overwrite the side file" "$(cat "$T/err")"; fi
"$NPUSIM" convert resnet18 -o "$T/r.onnx" --force >/dev/null 2>"$T/err" && [ -s "$T/r.onnx.data" ] &&
    ok "convert --force" || bad "convert --force" "$(cat "$T/err")"
"$NPUSIM" convert resnet18 >/dev/null 2>&1
[ $? -eq 2 ] && ok "convert without -o is a usage error" || bad "convert without -o"
"$NPUSIM" convert resnet18 -o "$T/r.txt" >/dev/null 2>&1
[ $? -eq 2 ] && ok "convert to an unknown suffix is a usage error" || bad "convert -o r.txt"
# .npg: the written ONNX converts to .npg, which reads back to the same layers as the zoo's
if "$NPUSIM" convert "$T/r.onnx" -o "$T/r.npg" 2>"$T/err" &&
    "$NPUSIM" info -f csv "$T/r.npg" | cut -d, -f2-6 >"$T/a" &&
    "$NPUSIM" info -f csv resnet18 | cut -d, -f2-6 >"$T/b" && cmp -s "$T/a" "$T/b"; then
    ok "convert ONNX -> .npg keeps the layers"
else bad "convert ONNX -> .npg keeps the layers" "$(head -c 400 "$T/err")"; fi

finish
