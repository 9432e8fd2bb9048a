#!/bin/sh
# file_sandbox_test.sh — `npusim script --sandbox` (issue 16, docs/lua.md §5): a sandboxed
# script opens files only in its own directory and the --allow-path ones (links are followed
# before deciding), reads no environment variable, and stops after its instruction budget.
# Every way a script names a file is tried: io.open/lines/input/output, loadfile, dofile,
# npusim.graph, run{graph=, trace=}, arch, params, read_csv, write_csv/json, plot, write_npg,
# sweep (spec file, output) and merge (parts, output).
. tests/cli/lib.sh

mkdir -p "$T/s/sub" "$T/outdir" "$T/other"
echo hello >"$T/s/data.txt"
echo secret >"$T/secret.txt"
echo 'return 1' >"$T/other/x.lua"
ln -s ../secret.txt "$T/s/link.txt"          # inside, leading outside
ln -s "$T/nowhere.txt" "$T/s/dangling.txt"   # a link to a file that does not exist (yet)
"$NPUSIM" convert lenet5 -o "$T/other/n.npg" >/dev/null 2>&1
printf 'a,b\n1,2\n' >"$T/other/t.csv"

cat >"$T/s/t.lua" <<'LUA'
local T, here = arg[1], arg[0]:match("^(.*)/")
local fails, passes = 0, 0
local function refused(name, ok, a, b)
  -- a refusal is a raise or nil + message naming the sandbox
  local msg = tostring(ok and b or a)
  if (not ok or a == nil) and msg:find("outside the sandbox", 1, true) then
    passes = passes + 1
  else
    fails = fails + 1
    print("FAIL refused " .. name .. ": " .. tostring(ok) .. " " .. tostring(a) .. " " .. tostring(b))
  end
end
local function allowed(name, ok, a, b)
  if ok and a ~= nil then passes = passes + 1
  else fails = fails + 1; print("FAIL allowed " .. name .. ": " .. tostring(a) .. " " .. tostring(b)) end
end
local function r(name, f) refused(name, pcall(f)) end
local function a(name, f) allowed(name, pcall(f)) end

a("io.open in own dir", function() return io.open(here .. "/data.txt") end)
a("io.open new file in own subdir", function() return io.open(here .. "/sub/new.txt", "w") end)
a("io.open in --allow-path dir", function() return io.open(T .. "/outdir/w.txt", "w") end)
r("io.open outside", function() return io.open(T .. "/secret.txt") end)
r("io.open ../ escape", function() return io.open(here .. "/../secret.txt") end)
r("io.open link leading out", function() return io.open(here .. "/link.txt") end)
r("io.open dangling link", function() return io.open(here .. "/dangling.txt", "w") end)
r("io.lines outside", function() for _ in io.lines(T .. "/secret.txt") do end end)
r("io.input outside", function() return io.input(T .. "/secret.txt") end)
r("io.output outside", function() return io.output(T .. "/other/w.txt") end)
r("loadfile outside", function() return loadfile(T .. "/other/x.lua") end)
r("dofile outside", function() return dofile(T .. "/other/x.lua") end)
r("npusim.graph outside", function() return npusim.graph(T .. "/other/n.npg") end)
a("npusim.graph zoo name", function() return npusim.graph("lenet5") end)
r("run graph outside", function() return npusim.run{arch = "nv_small", graph = T .. "/other/n.npg"} end)
r("run trace outside", function() return npusim.run{arch = "nv_small", graph = "lenet5", trace = T .. "/other/t.json"} end)
a("run trace inside", function() return npusim.run{arch = "nv_small", graph = "lenet5", trace = T .. "/outdir/t.json"} end)
r("arch file outside", function() return npusim.arch(T .. "/other/x.lua") end)
a("arch by name", function() return npusim.arch("nv_small") end)
r("params file outside", function() return npusim.params(T .. "/other/x.lua") end)
r("read_csv outside", function() return npusim.read_csv(T .. "/other/t.csv") end)
r("write_csv outside", function() return npusim.write_csv(T .. "/other/w.csv", {{x = 1}}) end)
a("write_csv inside", function() return npusim.write_csv(T .. "/outdir/w.csv", {{x = 1}}) end)
r("write_json outside", function() return npusim.write_json(T .. "/other/w.json", {x = 1}) end)
r("plot outside", function() return npusim.plot{kind = "sweep", data = {{x = 1, y = 2}}, x = "x", y = "y", path = T .. "/other/p.svg"} end)
local spec = { arch = "nv_small", graph = "lenet5", vary = { freq_mhz = { 500 } } }
r("sweep spec file outside", function() return npusim.sweep(T .. "/other/x.lua") end)
r("sweep output outside", function()
  return npusim.sweep { arch = "nv_small", graph = "lenet5", vary = { freq_mhz = { 500 } },
                        output = T .. "/other/s.csv" } end)
r("merge part outside", function() return npusim.merge(spec, { T .. "/other/t.csv" }, T .. "/outdir/m.csv") end)
r("merge output outside", function() return npusim.merge(spec, { T .. "/outdir/w.csv" }, T .. "/other/m.csv") end)
local g = npusim.graph("lenet5")
r("write_npg outside", function() return g:write_npg(T .. "/other/w.npg") end)
r("write_onnx outside", function() return g:write_onnx(T .. "/other/w.onnx") end)
if os.getenv ~= nil then fails = fails + 1; print("FAIL os.getenv is there") else passes = passes + 1 end
if io.tmpfile ~= nil then fails = fails + 1; print("FAIL io.tmpfile is there") else passes = passes + 1 end
print(string.format("sandbox: %d passed, %d failed", passes, fails))
LUA

run script --sandbox --allow-path "$T/outdir" "$T/s/t.lua" "$T"
status "the sandboxed script ran" 0
if grep -q "sandbox: [0-9]* passed, 0 failed" "$T/out"; then
    ok "every way of naming a file is checked ($(grep -o '[0-9]* passed' "$T/out"))"
else
    bad "sandbox checks" "$(cat "$T/out" "$T/err" | head -20)"
fi
[ -e "$T/other/w.csv" ] || [ -e "$T/other/w.npg" ] || [ -e "$T/other/w.json" ] &&
    bad "nothing written outside" "$(ls "$T/other")" || ok "nothing written outside"
[ -e "$T/nowhere.txt" ] && bad "dangling link not followed" || ok "dangling link not followed"

# without --sandbox nothing changes (the same script fails its refusals)
run script "$T/s/t.lua" "$T"
status "the same script without the sandbox runs" 0
grep -q "FAIL refused io.open outside" "$T/out" && ok "without --sandbox files are not limited" ||
    bad "without --sandbox files are not limited" "$(head -5 "$T/out")"

# the instruction budget
printf 'while true do end\n' >"$T/s/loop.lua"
run script --sandbox --budget 1000000 "$T/s/loop.lua"
status "an endless loop stops at the budget" 1
grep -q "runs too long (more than 1000000 instructions)" "$T/err" && ok "budget message" ||
    bad "budget message" "$(head -3 "$T/err")"

# usage errors
expect "--budget needs --sandbox" 2 script --budget 10 "$T/s/loop.lua"
expect "--allow-path needs --sandbox" 2 script --allow-path "$T" "$T/s/loop.lua"
expect "--budget must be a positive integer" 2 script --sandbox --budget -3 "$T/s/loop.lua"
run script --sandbox --allow-path "$T/missing" "$T/s/loop.lua"
status "an --allow-path that does not exist" 1
grep -q "missing" "$T/err" && ok "names the missing path" || bad "names the missing path" "$(cat "$T/err")"
echo 'print(1)' | "$NPUSIM" script --sandbox - >"$T/out" 2>"$T/err"
rc=$?
status "stdin is not a sandboxed script" 1
finish
