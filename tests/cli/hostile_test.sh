#!/bin/sh
# hostile_test.sh — issue 16: careless and hostile input to the `npusim` command. Every case is a
# reproducer from the audit: it must end in one clear error (or a correct result), never a
# crash, a hang, unbounded growth or a replaced file. Uses only files in a temporary directory
# (a FIFO and symlinks made there; never real device nodes). Same output as cli_test.sh.

# a regression here is a hang (a FIFO read or written forever): bounded where timeout exists
TO=$(command -v timeout >/dev/null 2>&1 && echo "timeout 60" || echo "")
. tests/cli/lib.sh

lines() { # NAME FILE N: FILE has exactly N lines
    n=$(wc -l <"$2")
    if [ "$n" -eq "$3" ]; then ok "$1"; else bad "$1" "$n lines: $(head -c 400 "$2")"; fi
}

cat >"$T/tiny.npg" <<'EOT'
npg 1
input  data  1x8x16x16 int8
conv   c1    data  out=16 k=3 s=1 p=1 act=relu
output c1
EOT

# ---- crashes ------------------------------------------------------------------------------------
printf 'npg 1\ninput d 1x4 fp32\nmatmul m d src=X\n' >"$T/m.npg"
expect "matmul src= with one input -> 1" 1 info "$T/m.npg"
has "matmul src= names the input count" "$T/err" "takes 2 inputs, got 1"
printf 'npg 1\ninput d 1x4 fp32\ngather m d src=X\n' >"$T/g.npg"
expect "gather src= with one input -> 1" 1 info "$T/g.npg"
printf 'npg 1\ninput d 1x4 fp32\nsigmoid s d src=Custom\n' >"$T/s.npg"
expect "src= on a unary op still reads" 0 info "$T/s.npg"

# ---- work estimate: a 60-byte SCALE-Sim row must not run for an hour -----------------------------
printf 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nDP1, 3, 3, 3, 3, 2000000, 1, 1,\n' >"$T/dw.csv"
expect "2M-channel depthwise row refused before running -> 1" 1 run "$T/dw.csv"
has "the refusal gives the figure and the limit" "$T/err" "2000000 fold groups (array jobs), above the limit of 1048576"
expect "the same row at fidelity=scalesim runs" 0 run --set fidelity=scalesim "$T/dw.csv"

# ---- writing outputs ----------------------------------------------------------------------------
if [ -w /dev/full ]; then
    "$NPUSIM" run -o - "$T/tiny.npg" >/dev/full 2>"$T/err"
    rc=$?
    status "-o - to a full disk -> 1" 1
    has "full disk names stdout" "$T/err" "<stdout>: write error"
    printf 'print("hello")\n' >"$T/p.lua"
    "$NPUSIM" script "$T/p.lua" >/dev/full 2>"$T/err"
    rc=$?
    status "script print to a full disk -> 1" 1
    for h in --help --version "help" "run --help"; do
        # shellcheck disable=SC2086 # "run --help" is two words on purpose
        "$NPUSIM" $h >/dev/full 2>"$T/err"
        rc=$?
        status "npusim $h to a full disk -> 1" 1
        has "npusim $h to a full disk says so" "$T/err" "<stdout>: write error"
    done
else
    echo "skip /dev/full checks (no /dev/full)"
fi

# a FIFO given with --force is written in place, never replaced by a regular file
mkfifo "$T/fifo"
expect "--force to a FIFO nobody reads -> 1 (no hang)" 1 run -o "$T/fifo" --force "$T/tiny.npg"
has "FIFO without a reader says so" "$T/err" "nobody reads it"
if [ -p "$T/fifo" ]; then ok "FIFO still a FIFO"; else bad "FIFO still a FIFO" "$(ls -l "$T/fifo")"; fi
cat "$T/fifo" >"$T/fifo.got" &
reader=$!
sleep 1
expect "--force to a FIFO with a reader -> 0" 0 run -f csv -o "$T/fifo" --force "$T/tiny.npg"
sleep 1
kill "$reader" 2>/dev/null # only if the write never came (no hang on a regression)
wait "$reader" 2>/dev/null
has "the reader got the CSV" "$T/fifo.got" ",c1,conv,"
if [ -p "$T/fifo" ]; then ok "FIFO still a FIFO after writing"; else bad "FIFO still a FIFO after writing"; fi
expect "-o a directory -> 1" 1 run -o "$T" --force "$T/tiny.npg"
has "directory named" "$T/err" "is a directory"

# the temporary is not at a predictable name: a symlink planted where the old code put it
# (path.tmp<pid>; exec keeps the shell's pid) is left alone, and so is the file it points to
echo "precious" >"$T/victim"
sh -c 'ln -s "$1/victim" "$1/out.csv.tmp$$" && exec "$2" run -f csv -o "$1/out.csv" "$1/tiny.npg"' \
    sh "$T" "$NPUSIM" >/dev/null 2>"$T/err"
rc=$?
status "-o beside a planted symlink -> 0" 0
has "the planted link's target is untouched" "$T/victim" "precious"
has "the output was written" "$T/out.csv" ",c1,conv,"
left=$(find "$T" -name 'out.csv.tmp*' ! -type l | wc -l)
if [ "$left" -eq 0 ]; then ok "no temporary left behind"; else bad "no temporary left behind" "$left"; fi

# two outputs with one path: refused before the simulation runs (nothing written)
expect "-o and --plot on one path -> 1" 1 run -o "$T/same.svg" --plot "$T/same.svg" "$T/tiny.npg"
has "same path named" "$T/err" "given as two outputs"
if [ ! -e "$T/same.svg" ]; then ok "nothing written"; else bad "nothing written"; fi
ln -s same2.csv "$T/alias.csv"
echo x >"$T/same2.csv"
expect "--trace and -o naming one file -> 1" 1 run --force -o "$T/same2.csv" --trace "$T/alias.csv" "$T/tiny.npg"

# ---- input files --------------------------------------------------------------------------------
mkfifo "$T/in.npg"
expect "a FIFO as the graph -> 1 (no hang)" 1 info "$T/in.npg"
has "FIFO input named" "$T/err" "in.npg: not a regular file"
expect "a FIFO as a program -> 1" 1 disasm "$T/in.npg"
mkfifo "$T/in.onnx"
expect "a FIFO as an ONNX model -> 1 (no hang)" 1 info "$T/in.onnx"
has "FIFO ONNX named" "$T/err" "in.onnx: not a regular file"
expect "a FIFO as a script -> 1" 1 script "$T/in.npg"
"$NPUSIM" info - <"$T" >"$T/out" 2>"$T/err"
rc=$?
status "stdin read error -> 1" 1
has "read error reported as such" "$T/err" "<stdin>: read error"
mkdir "$T/adir"
expect "a directory as the graph -> 1" 1 info "$T/adir"
has "directory input named" "$T/err" "adir: not a regular file"

# ---- smaller ------------------------------------------------------------------------------------
# terminal escape sequences in a name are not passed to the terminal by tables
printf 'npg 1\ninput d 1x8x16x16 int8\nconv "c\033]0;pwned\007x\033[2J" d out=16 k=3 p=1\n' >"$T/esc.npg"
ESC=$(printf '\033')
for cmd in run info; do
    expect "$cmd with an escape in a name -> 0" 0 $cmd "$T/esc.npg"
    if grep -q "$ESC" "$T/out"; then bad "$cmd table has no ESC byte" "$(od -c "$T/out" | head -5)"; else ok "$cmd table has no ESC byte"; fi
    has "$cmd shows the name sanitized" "$T/out" "c?]0;pwned?x?[2J"
done

# a zoo argument error is one line naming the argument, without a Lua traceback
expect "--zoo-args with an odd head_dim -> 1" 1 info --zoo-args hidden=1024,layers=28 transformer
lines "zoo argument error is one line" "$T/err" 1
has "zoo argument error names the arguments" "$T/err" "head_dim = hidden/heads = 1024/14"
expect "--zoo-args with a bad integer -> 1" 1 info --zoo-args layers=abc transformer
lines "bad integer is one line" "$T/err" 1
# (file and line of the argument's reader; the line number itself is the script's business)
if grep -qE 'transformer\.lua:[0-9]+: transformer: layers=abc is not' "$T/err"; then
    ok "bad integer named"
else bad "bad integer named" "$(head -c 400 "$T/err")"; fi

# ---- second pass (h/fuzz, cases not in the audit) -------------------------------------------------
# a directory given as an output is named as one, with or without --force (it said "file exists
# (use --force to overwrite)", which --force then did not do)
expect "-o a directory without --force -> 1" 1 run -o "$T" "$T/tiny.npg"
has "directory output named as one" "$T/err" "is a directory"
expect "--trace a directory -> 1" 1 run --trace "$T" "$T/tiny.npg"
has "directory trace named as one" "$T/err" "is a directory"
printf 'return { arch = "systolic", graph = "%s/tiny.npg", vary = { rows = { 8, 16 } } }\n' "$T" >"$T/spec.lua"
expect "sweep -o a directory -> 1" 1 sweep "$T/spec.lua" -o "$T"
has "sweep directory output named as one" "$T/err" "is a directory"
# a part whose header is a prefix of the study's: the message said "column 2 is 'arch', this
# study's is 'arch'"
printf 'id,arch\n' >"$T/short.csv"
expect "merge a part with a short header -> 1" 1 merge --spec "$T/spec.lua" -o "$T/m.csv" "$T/short.csv"
has "short header: where it ends" "$T/err" "it ends after column 2, this study's goes on with 'graph'"

# a --preset-path that is not a directory (misspelt) was skipped without a word
expect "--preset-path to nothing -> 1" 1 run --preset-path "$T/no_such_dir" "$T/tiny.npg"
has "missing preset directory named" "$T/err" "no_such_dir: not a directory"

# no uninitialised read in a simulation (the engine's fresh transfer records had no version)
if command -v valgrind >/dev/null 2>&1 && [ "${NPU_SANITIZED:-0}" != 1 ]; then
    $TO valgrind -q --error-exitcode=9 "$NPUSIM" run "$T/tiny.npg" >/dev/null 2>"$T/err"
    rc=$?
    status "valgrind: run is clean" 0
else
    echo "skip valgrind check (no valgrind, or a sanitizer build)"
fi

# ---- third pass (h/fuzz3) -------------------------------------------------------------------------
# a conv with 10^8 output channels: refused while lowering, before a fold record is written (the
# executor refused it only after lowering had written 6 M records: 24 s, 640 MB), naming the layer
printf 'npg 1\ninput d 1x512x7x7 int8\nconv huge d out=100000000 k=3 p=1\noutput huge\n' >"$T/huge.npg"
expect "10^8-channel conv refused -> 1" 1 run "$T/huge.npg"
has "the refusal names the layer and the figure" "$T/err" \
    "huge.npg:3: conv 'huge': this layer simulates 6250000 fold groups (array jobs), above the limit of 1048576"
# at fidelity=scalesim (one job per layer) 10^9 channels still meant 62.5 M records, 6 GB
sed 's/out=100000000/out=1000000000/' "$T/huge.npg" >"$T/huge9.npg"
expect "10^9-channel conv at fidelity=scalesim refused -> 1" 1 run --set fidelity=scalesim "$T/huge9.npg"
has "records limit named" "$T/err" "conv 'huge': this layer has 62500000 fold records, above the limit of 8388608"

# a sweep spec is a Lua program: an endless loop in one is an error (it ran until Ctrl-C)
printf 'while true do end\n' >"$T/loop.lua"
expect "sweep spec with an endless loop -> 1" 1 sweep "$T/loop.lua"
has "endless spec named" "$T/err" "loop.lua: sweep spec runs too long (more than 1000000000 instructions)"
# a failing point and a spec of too many points: the messages were lost to a format lua_pushfstring
# does not know ("invalid option '%0' to 'lua_pushfstring'")
printf 'return { arch = "systolic", graph = "%s/huge.npg", vary = { rows = { 32 } } }\n' "$T" >"$T/fail.lua"
expect "sweep with a failing point -> 1" 1 sweep "$T/fail.lua"
has "the failing point's message" "$T/err" "sweep point 1 (id "
has "the failing point's reason" "$T/err" "conv 'huge': this layer simulates"
printf 'local r = {}\nfor i = 1, 1000 do r[i] = i end\nreturn { arch = { "systolic", "ascend310" }, graph = "%s/tiny.npg", vary = { rows = r, cols = r } }\n' "$T" >"$T/big.lua"
expect "sweep spec of 2 M points -> 1" 1 sweep "$T/big.lua"
has "points counted" "$T/err" "sweep spec: 2000000 points (archs x graphs x vary points), more than a million"

# a NUL byte in a preset key or value (a Lua string may hold one) cut it short without a word:
# "rows\0x" set rows, "8\0junk" was 8, "systolic\0x" the model systolic
mkdir "$T/pp"
cat >"$T/pp/nulv.lua" <<'EOT'
return { model = "systolic", name = "nulv", rows = "8\0junk" }
EOT
cat >"$T/pp/nulk.lua" <<'EOT'
return { model = "systolic", name = "nulk", ["rows\0x"] = 8 }
EOT
cat >"$T/pp/nulm.lua" <<'EOT'
return { model = "systolic\0x", name = "nulm" }
EOT
expect "preset value with a NUL byte -> 1" 1 run --preset-path "$T/pp" -a nulv "$T/tiny.npg"
has "preset NUL value named" "$T/err" "nulv.lua: the value of 'rows' has a NUL byte"
expect "preset key with a NUL byte -> 1" 1 run --preset-path "$T/pp" -a nulk "$T/tiny.npg"
has "preset NUL key named" "$T/err" "nulk.lua: key 'rows...' has a NUL byte"
expect "preset model with a NUL byte -> 1" 1 run --preset-path "$T/pp" -a nulm "$T/tiny.npg"
has "preset NUL model named" "$T/err" "nulm.lua: the value of 'model' has a NUL byte"

# a zoo argument given twice: the last one won without a word
expect "--zoo-args with a key twice -> 1" 1 info --zoo-args batch=8,batch=1 lenet5
has "the repeated key named" "$T/err" "zoo arguments: 'batch' given twice"

# a scale.cfg with a key or a section twice: SCALE-Sim's configparser refuses it, we took the
# last value without a word
printf '[architecture_presets]\nArrayHeight: 32\nArrayWidth: 32\nArrayWidth: 8\nIfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 64\nDataflow: os\n' >"$T/dup.cfg"
printf 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nL1, 8, 8, 3, 3, 4, 4, 1,\n' >"$T/topo.csv"
expect "scale.cfg with a key twice -> 1" 1 run -a "$T/dup.cfg" "$T/topo.csv"
has "repeated cfg key named" "$T/err" "dup.cfg:4: ArrayWidth given twice (first on line 3)"
printf '[architecture_presets]\n[architecture_presets]\n' >"$T/sec.cfg"
expect "scale.cfg with a section twice -> 1" 1 run -a "$T/sec.cfg" "$T/topo.csv"
has "repeated cfg section named" "$T/err" "sec.cfg:2: section [architecture_presets] given twice"

# an .npg saved with a UTF-8 byte-order mark: "missing header" for a first line that reads
# 'npg 1' in every editor; now the message says why
printf '\357\273\277npg 1\ninput d 1x8x8x8 int8\nrelu r d\noutput r\n' >"$T/bom.npg"
expect ".npg with a byte-order mark -> 1" 1 info "$T/bom.npg"
has "byte-order mark named" "$T/err" "starts with a UTF-8 byte-order mark"

# --plot: a misspelt chart kind became part of the file name ("rooflin:r.svg", the layer chart),
# and "r.png" got SVG text; both refused before the run
expect "--plot rooflin: -> 1" 1 run --plot "rooflin:$T/r.svg" "$T/tiny.npg"
has "misspelt chart named" "$T/err" "unknown chart 'rooflin' (did you mean 'roofline'?)"
expect "--plot r.png -> 1" 1 run --plot "$T/r.png" "$T/tiny.npg"
has "png named" "$T/err" "the chart is SVG; name the file *.svg (there is no .png writer)"
if [ ! -e "$T/r.png" ] && [ ! -e "$T/r.svg" ]; then ok "no chart written"; else bad "no chart written"; fi

# ---- fourth pass (h/hostile4) ---------------------------------------------------------------------
# an output that is one of the command's inputs: --force replaced the input with its own result
# (`convert x.npg -o x.npg --force` rewrote the graph; `run -o x.npg` put a table over it, `diff
# a.json b.json -o a.json`, `merge -o PART`, `sweep SPEC -o SPEC` the same); refused, whatever the
# spelling (./x, a symbolic link either way, a hard link), and nothing is written
cp "$T/tiny.npg" "$T/self.npg"
cksum <"$T/self.npg" >"$T/self.sum"
unchanged() { # NAME: self.npg has its first bytes
    if cksum <"$T/self.npg" | cmp -s - "$T/self.sum"; then ok "$1"; else bad "$1" "$(head -c 200 "$T/self.npg")"; fi
}
expect "convert x.npg -o x.npg --force -> 1" 1 convert "$T/self.npg" -o "$T/self.npg" --force
has "self-output named" "$T/err" "self.npg: is also an input of this command"
unchanged "convert left its input alone"
expect "run -o ./GRAPH --force -> 1" 1 run -o "$T/./self.npg" --force "$T/self.npg"
ln -s self.npg "$T/selflink.npg"
ln "$T/self.npg" "$T/selfhard.npg"
expect "compile to a symlink to GRAPH -> 1" 1 compile "$T/self.npg" -o "$T/selflink.npg" --force
expect "--trace to GRAPH through a symlink -> 1" 1 run --trace "$T/self.npg" --force "$T/selflink.npg"
expect "info -o a hard link of GRAPH -> 1" 1 info -o "$T/selfhard.npg" --force "$T/self.npg"
unchanged "run, compile, info left their input alone"
printf 'return { model = "systolic", name = "pa" }\n' >"$T/pa.lua"
expect "compare -o one of its -a files -> 1" 1 compare -a "systolic,$T/pa.lua" -o "$T/pa.lua" --force "$T/tiny.npg"
has "the -a list named" "$T/err" "pa.lua: is also an input of this command (systolic,"
expect "sweep SPEC -o SPEC --force -> 1" 1 sweep "$T/spec.lua" -o "$T/spec.lua" --force
"$NPUSIM" run -f json -o "$T/r.json" "$T/tiny.npg" 2>/dev/null
expect "diff A B -o A --force -> 1" 1 diff "$T/r.json" "$T/r.json" -o "$T/r.json" --force
has "spec still a spec" "$T/spec.lua" "return {"
has "result still a result" "$T/r.json" "npusim.result/"
expect "convert -o a file beside the input still works" 0 convert "$T/self.npg" -o "$T/self2.npg"

# a SCALE-Sim GEMM row of 10^8 x 10^8 named its file twice ("g.csv:2: g.csv: input ...")
printf 'Layer, M, N, K,\nG1, 100000000, 100000000, 100000000,\n' >"$T/g.csv"
expect "GEMM row of 2^53 elements -> 1" 1 info "$T/g.csv"
has "file named once" "$T/err" "npusim: $T/g.csv:2: input 'G1.ifmap': more than 2^48 elements"

# escape sequences in a name reached the terminal through error messages (tables were clean):
# a duplicate layer name retitled the window, an unknown output tensor turned the text red
printf 'npg 1\ninput d 1x8 fp32\nrelu "r\033]0;pwned\007" d\nrelu "r\033]0;pwned\007" d\n' >"$T/escdup.npg"
expect "duplicate escaped name -> 1" 1 info "$T/escdup.npg"
if grep -q "$ESC" "$T/err"; then bad "error message has no ESC byte" "$(od -c "$T/err" | head -5)"; else ok "error message has no ESC byte"; fi
has "the name shown sanitized" "$T/err" "duplicate name 'r?]0;pwned?'"
printf '[general]\nrun_name = r\033[2J/x\n' >"$T/escrun.cfg"
sed -n '/^\[arch/,$p' "$T/dup.cfg" | grep -v 'ArrayWidth: 8' >>"$T/escrun.cfg"
expect "scalesim with an escaped run_name -> 1" 1 scalesim -c "$T/escrun.cfg" -t "$T/topo.csv" -p "$T/ssout"
if grep -q "$ESC" "$T/err"; then bad "scalesim message has no ESC byte" "$(od -c "$T/err" | head -5)"; else ok "scalesim message has no ESC byte"; fi
has "run_name shown sanitized" "$T/err" "run_name 'r?[2J/x' is not a plain directory name"

# ONNX: a constant weight whose shape disagrees with its input was counted by the input's shape
# without a word: MatMul/Gemm by a [16, 4] weight of a [1, 8] input (K 8 vs 16), a Conv whose
# weight has 4 input channels on an 8-channel input, kernel_shape 5x5 on a 3x3 weight
PY=$(command -v python3 || true)
if [ -n "$PY" ]; then
    "$PY" - "$T" <<'EOP'
import os, sys
sys.path.insert(0, "tests/onnx")
from gen import FLOAT, attr_i, attr_ints, model, node, tensor, value_info
d = sys.argv[1]
def save(name, nodes, dims, inits):
    with open(os.path.join(d, name), "wb") as f:
        f.write(model("g", nodes, [value_info("x", FLOAT, dims)], [value_info("y", FLOAT, [])], inits))
save("mm_k.onnx", [node("MatMul", ["x", "w"], ["y"])], [1, 8], [tensor("w", FLOAT, [16, 4])])
save("gemm_k.onnx", [node("Gemm", ["x", "w"], ["y"], attrs=[attr_i("transB", 1)])], [1, 8],
     [tensor("w", FLOAT, [4, 16])])
save("conv_c.onnx", [node("Conv", ["x", "w"], ["y"])], [1, 8, 8, 8], [tensor("w", FLOAT, [8, 4, 3, 3])])
save("conv_k.onnx", [node("Conv", ["x", "w"], ["y"], attrs=[attr_ints("kernel_shape", [5, 5])])],
     [1, 8, 8, 8], [tensor("w", FLOAT, [8, 8, 3, 3])])
save("raw_short.onnx", [node("MatMul", ["x", "w"], ["y"])], [1, 8], [tensor("w", FLOAT, [8, 4], [0] * 3)])
save("conv_ok.onnx", [node("Conv", ["x", "w"], ["y"], attrs=[attr_i("group", 2)])], [1, 8, 8, 8],
     [tensor("w", FLOAT, [8, 4, 3, 3])])
EOP
    expect "MatMul by a weight of another K -> 1" 1 info "$T/mm_k.onnx"
    has "K mismatch named" "$T/err" "node 0 'y' (MatMul): input 'x' has 8 columns (K), weight 'w' expects 16"
    expect "Gemm transB by a weight of another K -> 1" 1 info "$T/gemm_k.onnx"
    has "Gemm K mismatch named" "$T/err" "input 'x' has 8 columns (K), weight 'w' expects 16"
    expect "Conv weight of other input channels -> 1" 1 info "$T/conv_c.onnx"
    has "channel mismatch named" "$T/err" "input 'x' has 8 channels, weight 'w' expects 4"
    expect "Conv kernel_shape unlike its weight -> 1" 1 info "$T/conv_k.onnx"
    has "kernel_shape mismatch named" "$T/err" "kernel_shape 5x5 differs from weight 'w' (3x3)"
    expect "a grouped Conv whose weight agrees still reads" 0 info "$T/conv_ok.onnx"
    # a weight's raw_data of 12 bytes for 8x4 floats was taken (only its shape is used)
    expect "a truncated weight -> 1" 1 info "$T/raw_short.onnx"
    has "truncated weight named" "$T/err" "tensor 'w': raw_data has 12 bytes, expected 128"
else
    echo "skip ONNX weight-shape checks (no python3)"
fi

# a conv of 3e15 MACs on the RKNPU model: no work estimate, it grew past 1.8 GB in 24 s until
# "out of memory" (under a 2 GB limit); now refused at once with the task count
printf 'npg 1\ninput d 1x4096x4096x64 int8\nconv c d out=65536 k=7\noutput c\n' >"$T/bigconv.npg"
expect "3e15-MAC conv on rk3588 refused -> 1" 1 run -a rk3588 "$T/bigconv.npg"
has "the refusal names the layer and the count" "$T/err" \
    "bigconv.npg:3: conv 'c': this layer needs 8376320 tasks, above the limit of 4194304"

# --aipp read its config with fopen: a FIFO blocked for ever (every other input was refused)
expect "--aipp a FIFO -> 1 (no hang)" 1 info -a ascend310 --aipp "$T/fifo" "$T/tiny.npg"
has "FIFO aipp named" "$T/err" "fifo: not a regular file"

# two new outputs spelt two ways (./x and x, a link to their directory): the second write failed
# ("file exists") only after the simulation ran; refused before
expect "-o ./s.svg --plot s.svg (new files) -> 1" 1 run -o "$T/./s.svg" --plot "$T/s.svg" "$T/tiny.npg"
has "two spellings refused" "$T/err" "s.svg: given as two outputs"
ln -s . "$T/here"
expect "--trace through a link to its directory -> 1" 1 run -o "$T/s.json" -f json --trace "$T/here/s.json" "$T/tiny.npg"
if [ ! -e "$T/s.svg" ] && [ ! -e "$T/s.json" ]; then ok "nothing written for two spellings"; else bad "nothing written for two spellings"; fi
# convert -o NET.onnx also writes NET.onnx.data: it replaced an input of that name (an .npg text
# file is read by its header whatever its extension)
cp "$T/tiny.npg" "$T/q.onnx.data"
expect "convert whose weight file is its input -> 1" 1 convert "$T/q.onnx.data" -o "$T/q.onnx" --force
has "weight file named" "$T/err" "q.onnx.data: is also an input of this command"
has "the input is still the graph" "$T/q.onnx.data" "conv   c1"

# a sandboxed script opening a FIFO in its own directory blocked inside fopen for ever (the
# instruction budget does not run there); the sandbox's io refuses what is not a regular file
printf 'local f, m = io.open("%s/fifo")\nprint(f, m)\n' "$T" >"$T/sbfifo.lua"
expect "sandboxed io.open of a FIFO -> 0 (no hang)" 0 script --sandbox "$T/sbfifo.lua"
has "the FIFO refused" "$T/out" "fifo' is not a regular file (the sandbox opens no FIFO or device)"

# a graph of 2 M layers (44 MB of .npg, under the 256 MiB read limit) took 1.7 GB and 30 s,
# then its run failed for memory ("systolic: cannot create the units"); at most 2^18 layers
awk 'BEGIN { print "npg 1"; print "input x 1x8 fp32"; p = "x"
    for (i = 1; i <= 262145; i++) { print "relu r" i " " p; p = "r" i } }' >"$T/long.npg"
expect "a graph of 2^18 + 1 layers -> 1" 1 info "$T/long.npg"
has "the layer limit named" "$T/err" "long.npg:262147:6: relu 'r262145': more than 262144 layers, the most a graph may hold"
rm -f "$T/long.npg"

# --batch 2 --zoo-args batch=4 ran at batch 2 without a word: contradictory, refused
expect "--batch and --zoo-args batch= together -> 1" 1 info --batch 2 --zoo-args batch=4 lenet5
has "the two batches named" "$T/err" "lenet5: --batch 2 and the zoo argument batch=4: give the batch once"

# ---- fifth pass: results read back by diff, AIPP NULs, workload specs ------------------------------
printf 'npg 1\ninput d 1x8x16x16 int8\nconv c1 d out=16 k=3 p=1\nconv c2 c1 out=16 k=3 p=1\noutput c2\n' >"$T/two.npg"
expect "a result for diff -> 0" 0 run -f json -o "$T/p5.json" "$T/two.npg"
# \u0000 ended a string: the key "schema\u0000x" was read as "schema"
sed 's/"schema"/"schema\\u0000x"/' "$T/p5.json" >"$T/h.json"
expect "diff: \\u0000 in a key -> 1" 1 diff "$T/h.json" "$T/p5.json"
has "the NUL escape named with its place" "$T/err" 'h.json:2:10: \u0000 (a NUL character) in a string'
# a key twice: the first counted without a word ("layers": [] before the real ones: 0 layers)
sed 's/"schema": /"layers": [], "schema": /' "$T/p5.json" >"$T/h.json"
expect "diff: a key twice -> 1" 1 diff "$T/h.json" "$T/p5.json"
has "the repeated key named" "$T/err" 'key "layers" twice in this object'
# 1e999 was infinity: "inf MHz" and every time 0.0
sed 's/"freq_mhz": 1000/"freq_mhz": 1e999/' "$T/p5.json" >"$T/h.json"
expect "diff: a number out of range -> 1" 1 diff "$T/h.json" "$T/p5.json"
has "the number named" "$T/err" "number '1e999' out of range"
# two layers of one name: both rows of A matched B's one layer, and the changes no longer added up
sed 's/"name": "c2"/"name": "c1"/' "$T/p5.json" >"$T/h.json"
expect "diff: a layer name twice -> 1" 1 diff "$T/h.json" "$T/p5.json"
has "both layers named" "$T/err" "h.json: layers[0] and layers[1] are both named 'c1'"
# 2.5 cycles was cut to 2
awk '!d && /"share_cycles"/ { sub(/"share_cycles": [0-9]+/, "\"share_cycles\": 2.5"); d = 1 } 1' "$T/p5.json" >"$T/h.json"
expect "diff: a fractional cycle count -> 1" 1 diff "$T/h.json" "$T/p5.json"
has "the count and its value named" "$T/err" "layers[0].share_cycles: expected an integer, found 2.5"
sed 's|npusim.result/3|npusim.result/ 3|' "$T/p5.json" >"$T/h.json"
expect "diff: a schema version with a space -> 1" 1 diff "$T/h.json" "$T/p5.json"
# a byte-order mark (an editor's) is skipped, as RFC 8259 allows; a 101-digit number is named
{ printf '\357\273\277'; cat "$T/p5.json"; } >"$T/h.json"
expect "diff: a result with a byte-order mark -> 0" 0 diff "$T/h.json" "$T/p5.json"
printf '1%0100d\n' 0 >"$T/h.json"
expect "diff: a 101-digit number -> 1" 1 diff "$T/h.json" "$T/p5.json"
has "its length named" "$T/err" "a number of 101 characters (npusim reads at most 63)"

# a NUL byte in an AIPP config ended the file or a word (strchr finds the terminator): what came
# after it, here a second aipp_op that is refused, was never read
printf 'aipp_op {\n input_format : RGB888_U8\n}\n\000aipp_op { input_format : RGB888_U8 }\n' >"$T/nul.cfg"
printf 'npg 1\ninput d 1x3x32x32 int8\nconv c d out=8 k=3 p=1\noutput c\n' >"$T/img.npg"
expect "--aipp with a NUL byte -> 1" 1 info -a ascend310 --aipp "$T/nul.cfg" "$T/img.npg"
has "the NUL byte named with its line" "$T/err" "nul.cfg:4: unexpected byte 0x00"

# --workload: a setting twice took the last; an fps whose frames arrive after the engine's
# horizon failed as "engine: job 'arrival' on 'arrivals': extra_ps too large"
expect "--workload count= twice -> 2" 2 run -a rk3588 --workload "w=$T/two.npg:count=2:count=3"
has "the repeated setting named" "$T/err" "'count' given twice in one spec"
expect "--workload model setting twice -> 2" 2 run -a rk3588 --workload "w=$T/two.npg:core_mask=1:core_mask=2"
expect "--workload fps=1e-300 -> 1" 1 run -a rk3588 --workload "w=$T/two.npg:fps=1e-300:count=3"
has "the late frame named" "$T/err" "workload w: at fps=1e-300 frame 1 arrives after"

# --trace "" ran without a trace and without a word; -o "" said "npusim: : cannot write"
expect "--trace with an empty name -> 2" 2 run --trace "" "$T/tiny.npg"
has "the empty name refused" "$T/err" "--trace: an empty file name"
expect "-o with an empty name -> 2" 2 run -o "" "$T/tiny.npg"


# merge of sharded parts (issue 16): a NUL byte after the last cell was merged with exit 0 and
# cut the row (and its end of line) at the NUL, gluing two rows; text or 1e999 in a metric cell
# was merged as it was; a CRLF part or one with a byte-order mark was refused as "column 5 is
# 'cycles?'" / "column 1 is 'id', this study's is 'id'". Now the first two are refused with
# file:line:column and the output is left alone; CRLF and the mark are accepted (docs/sweeps.md §3)
printf 'return { arch = "systolic", graph = "%s/tiny.npg", vary = { rows = { 8, 16, 32, 64 } }, metrics = { "cycles", "time_us" } }\n' "$T" >"$T/ms.lua"
"$NPUSIM" sweep "$T/ms.lua" -o "$T/mall.csv" 2>"$T/err" &&
    "$NPUSIM" sweep "$T/ms.lua" --shard 0/2 -o "$T/mp0.csv" 2>"$T/err" &&
    "$NPUSIM" sweep "$T/ms.lua" --shard 1/2 -o "$T/mp1.csv" 2>"$T/err" || bad "merge parts made" "$(head -c 400 "$T/err")"
merge_bad() { # NAME PART TEXT: merging p0 with PART fails with TEXT, the existing output kept
    printf 'keep\n' >"$T/mo.csv"
    expect "merge: $1 -> 1" 1 merge --spec "$T/ms.lua" --force -o "$T/mo.csv" "$T/mp0.csv" "$2"
    has "merge: $1 named" "$T/err" "$3"
    if [ "$(cat "$T/mo.csv")" = keep ]; then ok "merge: $1 leaves the output"; else bad "merge: $1 leaves the output" "$(head -c 200 "$T/mo.csv")"; fi
}
{ head -n 1 "$T/mp1.csv"; sed -n 2p "$T/mp1.csv" | tr -d '\n'; printf '\000junk\n'; sed -n '3,$p' "$T/mp1.csv"; } >"$T/mnul.csv"
merge_bad "a NUL byte in a row" "$T/mnul.csv" "mnul.csv:2:6: a NUL byte in the row"
sed '2s/,[^,]*,\([^,]*\)$/,abc,\1/' "$T/mp1.csv" >"$T/mtext.csv"
merge_bad "text in an integer metric" "$T/mtext.csv" "mtext.csv:2:5: metric 'cycles' is 'abc', not an integer"
sed '3s/,[^,]*$/,1e999/' "$T/mp1.csv" >"$T/mbig.csv"
merge_bad "1e999 in a float metric" "$T/mbig.csv" "mbig.csv:3:6: metric 'time_us' is '1e999', not a finite number"
sed '2s/,[^,]*$/,/' "$T/mp1.csv" >"$T/mempty.csv"
merge_bad "an empty metric cell" "$T/mempty.csv" "mempty.csv:2:6: metric 'time_us' is '', empty"
sed '2s/,[^,]*,\([^,]*\)$/,12.5,\1/' "$T/mp1.csv" >"$T/mfrac.csv"
merge_bad "a fraction in an integer metric" "$T/mfrac.csv" "mfrac.csv:2:5: metric 'cycles' is '12.5', not an integer"
# what the writer itself gives a non-finite float (npu_script_fmt_double) is a value
sed '2s/,[^,]*$/,nan/' "$T/mp1.csv" >"$T/mnan.csv"
expect "merge: nan in a float metric -> 0" 0 merge --spec "$T/ms.lua" --force -o "$T/mo.csv" "$T/mp0.csv" "$T/mnan.csv"
awk '{ printf "%s\r\n", $0 }' "$T/mp1.csv" >"$T/mcrlf.csv"
expect "merge: a part with CRLF line ends -> 0" 0 merge --spec "$T/ms.lua" --force -o "$T/mo.csv" "$T/mp0.csv" "$T/mcrlf.csv"
if cmp -s "$T/mo.csv" "$T/mall.csv"; then ok "merge: CRLF part gives the single run's bytes"; else bad "merge: CRLF part gives the single run's bytes" "$(od -c "$T/mo.csv" | head -5)"; fi
{ printf '\357\273\277'; cat "$T/mp1.csv"; } >"$T/mbom.csv"
expect "merge: a part with a byte-order mark -> 0" 0 merge --spec "$T/ms.lua" --force -o "$T/mo.csv" "$T/mbom.csv" "$T/mp0.csv"
if cmp -s "$T/mo.csv" "$T/mall.csv"; then ok "merge: BOM part gives the single run's bytes"; else bad "merge: BOM part gives the single run's bytes" "$(od -c "$T/mo.csv" | head -5)"; fi
tr '\n' '\r' <"$T/mp1.csv" >"$T/mcronly.csv"
merge_bad "a part with CR line ends" "$T/mcronly.csv" "mcronly.csv:1: lines end in CR alone"
# a carriage return anywhere but before the end of line is still refused
CR=$(printf '\r')
sed "2s/,\\([^,]*\\),\\([^,]*\\)\$/,\\1$CR,\\2/" "$T/mp1.csv" >"$T/mcr.csv"
merge_bad "a CR inside a row" "$T/mcr.csv" "mcr.csv:2:5: metric 'cycles' is"

finish
