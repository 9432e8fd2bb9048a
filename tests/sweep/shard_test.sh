#!/bin/sh
# shard_test.sh — npusim sweep / merge end to end (issue 19; docs/sweeps.md): a study run in
# one process, then sharded 8 ways on GNU parallel (scripts/cluster/parallel.sh) with one
# shard killed (SIGKILL) and resumed and another cut back to a few rows and resumed, merged to
# the same bytes; and the bad inputs (spec, shard, part files) with their messages. Without
# GNU parallel the test is skipped (exit 77) after the checks that do not need it.
. "${NPU_SOURCE_DIR:?}/tests/cli/lib.sh"
src=$NPU_SOURCE_DIR

# ~400 points on nv_small, a couple of seconds in one process
cat >"$T/study.lua" <<'LUA'
return {
  arch = "nv_small",
  graph = { "lenet5", "mobilenet_v1" },
  vary = { ["dram.gbps"] = { 1.6, 3.2, 6.4, 12.8, 25.6 }, freq_mhz = { 250, 500, 1000, 2000, 4000 },
           cbuf_banks = { 8, 16, 32, 64 }, sdp_throughput = { 1, 2 } },
  metrics = { "cycles", "time_us", "fps", "util", "dram_rd_bytes" },
}
LUA
spec=$T/study.lua
expect "single-process run" 0 sweep "$spec" --threads 2 -o "$T/ref.csv"
[ -s "$T/err" ] && bad "no progress on a file/pipe" "$(head -c 200 "$T/err")" || ok "no progress on a file/pipe"
n=$(($(wc -l <"$T/ref.csv") - 1))
[ "$n" -eq 400 ] && ok "400 rows" || bad "400 rows" "got $n"
has "header" "$T/ref.csv" "id,arch,graph,cbuf_banks,dram.gbps,freq_mhz,sdp_throughput,cycles,time_us,fps,util,dram_rd_bytes"
expect "same spec to stdout" 0 sweep "$spec" --threads 1
cmp -s "$T/out" "$T/ref.csv" && ok "stdout = file, 1 thread = 2 threads" || bad "stdout = file"
# the same spec from Lua: npusim.sweep(path, {output=})
cat >"$T/run.lua" <<LUA
local n = assert(npusim.sweep("$spec", { output = "$T/lua.csv", threads = 2 }))
assert(n == 400, n)
local rows = assert(npusim.sweep("$spec", { shard = "1/8" }))
print(#rows, rows[1].id, rows[1].graph)
LUA
expect "npusim.sweep runs the spec file" 0 script "$T/run.lua"
cmp -s "$T/lua.csv" "$T/ref.csv" && ok "Lua output = CLI output" || bad "Lua output = CLI output"
has "Lua rows of a shard, with ids" "$T/out" "50	$(sed -n 3p "$T/ref.csv" | cut -d, -f1)	lenet5"

# shards in a shell loop, merged: the same bytes
for k in 0 1 2; do "$NPUSIM" sweep "$spec" --shard $k/3 --threads 1 -o "$T/p$k.csv" || bad "shard $k/3"; done
expect "merge 3 shards" 0 merge --spec "$spec" "$T/p2.csv" "$T/p0.csv" "$T/p1.csv" -o "$T/m3.csv"
cmp -s "$T/m3.csv" "$T/ref.csv" && ok "3 shards merge to the single-process bytes" || bad "merge 3"
expect "resume a complete file: nothing to do" 0 sweep "$spec" --shard 1/3 --resume -o "$T/p1.csv"
cp "$T/p1.csv" "$T/p1.bak"
head -n 4 "$T/p1.bak" >"$T/p1.csv" # what a kill after a batch leaves: complete rows
expect "resume a cut part" 0 sweep "$spec" --shard 1/3 --resume --threads 1 -o "$T/p1.csv"
cmp -s "$T/p1.csv" "$T/p1.bak" && ok "resumed part = uninterrupted part" || bad "resumed part"

# a real kill (SIGKILL) once the file has rows (write_every = 0: after every batch): the
# file holds whole rows, and --resume completes it to the reference bytes
printf 'local s = dofile("%s"); s.write_every = 0; return s\n' "$spec" >"$T/every.lua"
"$NPUSIM" sweep "$T/every.lua" --threads 1 -o "$T/killed.csv" 2>/dev/null &
pid=$!
i=0
while [ ! -s "$T/killed.csv" ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i + 1)); done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
rows=$(($(wc -l <"$T/killed.csv") - 1))
[ "$(tail -c 1 "$T/killed.csv" | od -An -c | tr -d ' ')" = '\n' ] &&
    ok "killed run left whole rows ($rows of 400)" || bad "killed run left a torn file"
[ "$rows" -lt 400 ] || echo "note: the run finished before the kill; the resume has nothing to do"
expect "resume the killed run" 0 sweep "$spec" --resume -o "$T/killed.csv"
cmp -s "$T/killed.csv" "$T/ref.csv" && ok "killed + resumed = single run" || bad "killed + resumed"

# bad input: one clear error each, naming the file (and line)
expect "shard K >= N" 2 sweep "$spec" --shard 3/3 -o "$T/x.csv"
has "shard message" "$T/err" "K must be below N"
expect "shard not K/N" 2 sweep "$spec" --shard 2 -o "$T/x.csv"
has "shard format message" "$T/err" "expected K/N"
expect "no overwrite" 1 sweep "$spec" -o "$T/ref.csv"
has "overwrite message" "$T/err" "--resume to continue it"
expect "merge without --spec" 2 merge "$T/p0.csv" -o "$T/x.csv"
expect "merge with a part missing" 1 merge --spec "$spec" "$T/p0.csv" "$T/p1.csv" -o "$T/x.csv"
has "missing ids named" "$T/err" "133 of 400 points missing: $(sed -n 4p "$T/ref.csv" | cut -d, -f1) (point 3)"
expect "merge with a part twice" 1 merge --spec "$spec" "$T/p0.csv" "$T/p1.csv" "$T/p1.csv" "$T/p2.csv" -o "$T/x.csv"
has "duplicate named" "$T/err" "p1.csv:2: point 2 (id $(sed -n 3p "$T/ref.csv" | cut -d, -f1)) appears twice (also $T/p1.csv:2)"
head -c 300 "$T/p0.csv" >"$T/cut.csv"
expect "truncated line" 1 merge --spec "$spec" "$T/cut.csv" "$T/p1.csv" "$T/p2.csv" -o "$T/x.csv"
has "truncated line named" "$T/err" "cut.csv:3: truncated line"
expect "resume a truncated file" 1 sweep "$spec" --shard 0/3 --resume -o "$T/cut.csv"
has "resume names it too" "$T/err" "cut.csv:3: truncated line"
sed 's/4000 }/3000 }/' "$spec" >"$T/other.lua"
expect "a part of another study" 1 merge --spec "$T/other.lua" "$T/p0.csv" "$T/p1.csv" "$T/p2.csv" -o "$T/x.csv"
has "foreign id" "$T/err" "is not a point of this study"
sed 's/"fps", //' "$spec" >"$T/other2.lua"
expect "a part with other columns" 1 merge --spec "$T/other2.lua" "$T/p0.csv" -o "$T/x.csv"
has "foreign header" "$T/err" "p0.csv:1: not this study's header (column 10 is 'fps', this study's is 'util')"
expect "resume into the wrong shard" 1 sweep "$spec" --shard 0/3 --resume -o "$T/p1.csv"
has "wrong shard named" "$T/err" "p1.csv:2: id $(sed -n 3p "$T/ref.csv" | cut -d, -f1) is not a point of shard 0/3 of this study"
sed 's/,1\.6,/,1.60,/' "$T/p2.csv" >"$T/edited.csv"
expect "an edited row" 1 merge --spec "$spec" "$T/p0.csv" "$T/p1.csv" "$T/edited.csv" -o "$T/x.csv"
has "edited row named" "$T/err" "does not match the spec's arch, graph or parameters"
printf 'return { arch = "nv_small", graph = "lenet5",\n vary = { freq_mhz = 500 } }\n' >"$T/b1.lua"
expect "vary not a list" 1 sweep "$T/b1.lua"
has "vary message" "$T/err" "b1.lua: sweep spec: vary.freq_mhz must be a non-empty list of values, got number"
printf 'return { arch = "nv_small", graph = "lenet5"\n vary = {} }\n' >"$T/b2.lua"
expect "spec syntax error" 1 sweep "$T/b2.lua"
has "syntax error with file and line" "$T/err" "b2.lua:2:"
printf 'return { arch = "nv_small", graph = "lenet5", vary = { freq_mhz = { 500 } }, metrics = { "cycle" } }\n' >"$T/b3.lua"
expect "unknown metric" 1 sweep "$T/b3.lua"
has "metric suggestion" "$T/err" "did you mean 'cycles'"
printf 'return { arch = "nv_small", graph = "lenet5", vary = { freq_mhz = { 500, 500.0 } } }\n' >"$T/b4.lua"
expect "a point twice" 1 sweep "$T/b4.lua" -o "$T/x.csv"
has "same design point" "$T/err" "sweep points 1 and 2 are the same design point"
printf 'return 42\n' >"$T/b5.lua"
expect "spec not a table" 1 sweep "$T/b5.lua"
has "spec type message" "$T/err" "b5.lua: a sweep spec returns a table, this one returned number"
printf 'return { arch = "nv_small", graph = "lenet5", vary = { freq_mhz = { 0 } } }\n' >"$T/b6.lua"
expect "out-of-range value" 1 sweep "$T/b6.lua"
has "point named" "$T/err" "b6.lua: sweep point 1: "

# GNU parallel: 8 shards through the documented recipe, one killed and resumed
if ! command -v parallel >/dev/null 2>&1; then
    finish || exit 1
    echo "SKIP: GNU parallel is not installed (Debian package 'parallel'; bash scripts/quickstart.sh test installs it)"
    exit 77
fi
NPUSIM=$NPUSIM sh "$src/scripts/cluster/parallel.sh" "$spec" "$T/par.csv" 8 -j 2 >"$T/par.log" 2>&1 &&
    ok "parallel.sh: 8 shards and a merge" || bad "parallel.sh" "$(head -c 600 "$T/par.log")"
cmp -s "$T/par.csv" "$T/ref.csv" && ok "8 shards on GNU parallel = single process" || bad "parallel merge"
# shard 5 cut back to what a kill after its second batch leaves (complete rows), resumed by
# running the recipe again
cp "$T/par.csv.part-5.csv" "$T/part5.full"
head -n 11 "$T/part5.full" >"$T/par.csv.part-5.csv"
NPUSIM=$NPUSIM sh "$src/scripts/cluster/parallel.sh" "$spec" "$T/par.csv" 8 -j 2 >"$T/par.log" 2>&1 &&
    ok "parallel.sh again: resumes shard 5" || bad "parallel.sh resume" "$(head -c 600 "$T/par.log")"
cmp -s "$T/par.csv" "$T/ref.csv" && ok "cut + resumed shard merges to the single-process bytes" ||
    bad "resumed merge"
cmp -s "$T/par.csv.part-5.csv" "$T/part5.full" && ok "resumed part 5 = its first run" || bad "part 5"
finish
