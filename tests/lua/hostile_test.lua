-- hostile_test.lua — issue 16: scripts that feed the API careless or hostile input must get an
-- error (or a result), never a crash. Each block is a reproducer from the audit.
local T = dofile("tests/lua/check.lua")
local dir = (os.getenv("TMPDIR") or "/tmp") .. "/npusim_hostile_lua_" .. os.time() .. "_" ..
  tostring(math.random(1 << 30))

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local b = npusim.builder("small", { input = { 1, 8, 8, 8 }, dtype = "int8" })
b:conv(b.input, { out = 8, k = 3, p = 1 })
local g = b:build()

-- ---- src= on a two-input op with one input: an error, not a NULL operand ---------------------
write(dir .. "_m.npg", "npg 1\ninput d 1x4 fp32\nmatmul m d src=X\n")
local ok, gm, msg = pcall(npusim.graph, dir .. "_m.npg")
T.ok(ok, "npusim.graph(matmul src=) returns instead of crashing")
T.fails("takes 2 inputs, got 1", gm, msg)
write(dir .. "_m.npg", "npg 1\ninput d 1x4 fp32\ngather m d src=X\n")
ok, gm, msg = pcall(npusim.graph, dir .. "_m.npg")
T.fails("takes 2 inputs, got 1", gm, msg)

-- ---- npusim.arch(name): the documented one-argument form ----------------------------------
local a, amsg = npusim.arch("systolic")
T.ok(a, "npusim.arch('systolic') alone: " .. tostring(amsg))
T.ok(tostring(a):find("systolic", 1, true), "the arch prints")
T.ok(npusim.arch("systolic", { rows = 8 }), "with a set table")

-- ---- the API calls no function a script can replace ---------------------------------------
local real_sort, real_npusim = table.sort, npusim
table.sort = function(t) for k in pairs(t) do t[k] = nil end end -- empties what it is given
local r, rmsg = npusim.run { arch = "systolic", graph = g, set = { rows = 8, cols = 8 } }
T.ok(r, "run with set= after table.sort was replaced: " .. tostring(rmsg))
local rows = npusim.sweep { arch = "systolic", graph = g, vary = { rows = { 8, 16 } },
  progress = false }
T.eq(rows and #rows, 2, "sweep after table.sort was replaced")
T.ok(npusim.write_json(dir .. "_j.json", { b = 1, a = 2 }, { force = true }),
  "write_json after table.sort was replaced")
table.sort = function() error("not me") end
T.ok(npusim.arch("systolic", { rows = 8, cols = 8 }), "arch set= after table.sort raised")
table.sort = real_sort

-- a vary list whose length changes after it was checked (__len): read once, raw
local calls = 0
local shifty = setmetatable({ 8, 16 }, { __len = function() calls = calls + 1
  return calls > 1 and 0 or 2 end })
rows = npusim.sweep { arch = "systolic", graph = g, vary = { rows = shifty }, progress = false }
T.eq(rows and #rows, 2, "sweep with a __len that changes its mind")

-- zoo networks get the real module even when the global is replaced
npusim = { builder = function() error("fake module") end }
local zg, zmsg = real_npusim.graph("lenet5")
T.ok(zg, "zoo build with npusim global replaced: " .. tostring(zmsg))
npusim = real_npusim

-- sorting is the library's own: numbers with NaN and mixed integer/float keys do not upset it
rows = npusim.sweep { arch = "systolic", graph = g, vary = { rows = { 16, 8.0, 8 } },
  progress = false }
T.eq(rows and #rows, 3, "sweep over mixed integer and float values")

-- ---- second pass (h/fuzz): write_csv without an option table read its `force` from stack slot
-- 0, a stale value above the stack top (SIGSEGV with these rows) ------------------------------
T.ok(npusim.write_csv("-", { { a = 1 }, { b = print } }), "write_csv without options")
T.ok(npusim.write_csv("-", { { a = print } }), "write_csv of a function value only")
T.raises("row 2, column 'a': a table", npusim.write_csv, dir .. "_w3.csv", { { a = 1 }, { a = {} } })
-- a NUL byte would cut the cell (or the header) short without a word: refused
T.raises("column 'a': the string has a NUL byte", npusim.write_csv, dir .. "_w4.csv",
  { { a = "x\0y" } })
T.raises("without NUL bytes", npusim.write_csv, dir .. "_w5.csv", { { ["a\0b"] = 1 } })
-- a builder name with a NUL byte silently became its prefix ("r\0z" the layer "r", and
-- "input\0junk" the tensor "input"): refused
local bn = npusim.builder("nul", { input = { 1, 3, 8, 8 } })
T.raises("layer name 'r...' has a NUL byte", bn.relu, bn, bn.input, { name = "r\0z" })
T.raises("tensor name 'input...' has a NUL byte", bn.relu, bn, "input\0junk")
T.raises("graph name 'x...' has a NUL byte", npusim.builder, "x\0y")

-- ---- third pass (h/fuzz3): a NUL byte in a parameter or a path cut it short without a word
-- ("ws\0x" the dataflow "ws", "out.json\0.txt" the file "out.json"); a value over 255 bytes
-- was cut at 255. All refused. -----------------------------------------------------------------
T.raises("value of 'dataflow' has a NUL byte", npusim.arch, "systolic", { dataflow = "ws\0x" })
T.raises("parameter name 'rows...' has a NUL byte", npusim.arch, "systolic",
  { ["rows\0x"] = 8 })
T.raises("value of 'dataflow' is longer than 255 bytes", npusim.arch, "systolic",
  { dataflow = string.rep("w", 300) })
local sa = npusim.arch("systolic")
T.raises("has a NUL byte", sa.set, sa, "dataflow", "is\0x")
T.raises("parameter name 'rows...' has a NUL byte", sa.set, sa, "rows\0x", 8)
T.raises("arch 'systolic...' has a NUL byte", npusim.arch, "systolic\0x")
T.raises("value of 'dataflow' has a NUL byte", npusim.run,
  { arch = "systolic", graph = g, set = { dataflow = "os\0x" } })
T.raises("arch 'systolic...' has a NUL byte", npusim.run, { arch = "systolic\0x", graph = g })
T.raises("graph 'lenet5...' has a NUL byte", npusim.run, { arch = "systolic", graph = "lenet5\0x" })
T.raises("graph 'lenet5...' has a NUL byte", npusim.graph, "lenet5\0x")
T.raises("args 'batch=1...' has a NUL byte", npusim.graph, "lenet5", { args = "batch=1\0x" })
T.raises("path '" .. dir .. "_n.json...' has a NUL byte", npusim.write_json,
  dir .. "_n.json\0.txt", { a = 1 })
T.raises("path '" .. dir .. "_n.csv...' has a NUL byte", npusim.write_csv,
  dir .. "_n.csv\0.txt", { { a = 1 } })
T.raises("path '" .. dir .. "_n.csv...' has a NUL byte", npusim.read_csv, dir .. "_n.csv\0x")
T.raises("path '" .. dir .. "_n.npg...' has a NUL byte", g.write_npg, g, dir .. "_n.npg\0x")
T.raises("output '" .. dir .. "_n.csv...' has a NUL byte", npusim.sweep,
  { arch = "systolic", graph = g, vary = { rows = { 8 } }, progress = false },
  { output = dir .. "_n.csv\0x" })
T.raises("sweep spec '" .. dir .. "_s.lua...' has a NUL byte", npusim.sweep, dir .. "_s.lua\0x")
local f = io.open(dir .. "_n.json", "r")
T.ok(f == nil, "nothing written at the cut name")
if f then f:close() end

-- a builder's graph is C memory outside the state's cap: a loop of b:relu grew it without bound
-- (~470 bytes a layer) until the OOM killer came; now at most 2^18 layers
local bg = npusim.builder("grow", { input = { 1, 8 } })
local bx = bg.input
T.raises("builder 'grow': more than 262144 layers", function()
  for _ = 1, 300000 do bx = bg:relu(bx) end
end)

-- ---- fourth pass (h/hostile4): tables whose metamethods raise are read raw, never called; an
-- error object that is a table or nil still reaches pcall (held; representative cases) ---------
local bomb = setmetatable({}, { __index = function() error("index called") end,
  __pairs = function() error("pairs called") end, __len = function() error("len called") end })
T.ok(npusim.run { arch = "systolic", graph = g, set = bomb }, "run with a set table that raises")
T.eq(#npusim.sweep { arch = "systolic", graph = g, vary = { rows = setmetatable({ 8 },
  getmetatable(bomb)) }, progress = false }, 1, "sweep over a vary list that raises")
T.ok(npusim.arch("systolic", bomb), "arch with a set table that raises")
T.raises("index called", npusim.builder, "mm", bomb) -- an option table is read by key
T.ok(not pcall(error, nil) and not pcall(error, {}), "error(nil) and error({}) reach pcall")

T.report()
