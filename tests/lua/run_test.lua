-- run_test.lua — npusim.run / compare / sweep / arch / params and the writers, on the
-- `systolic` model (always registered). Field names are pinned to sim/core/result.h: a rename
-- there must show up here.
local T = dofile("tests/lua/check.lua")

local LAYER_FIELDS = { "index", "name", "op", "engine", "dtype", "macs", "cycles", "start", "end",
  "share_cycles", "ideal_cycles", "util", "compute_cycles", "mem_stall_cycles",
  "ctrl_stall_cycles", "dram_rd_bytes", "dram_wr_bytes", "sram_rd_bytes", "sram_wr_bytes",
  "onchip_bytes", "irq_count", "irq_cycles", "host_cycles", "bound", "reg_writes", "e_mac_uj",
  "e_buf_uj", "e_dram_uj", "e_ctrl_uj", "e_host_uj", "e_static_uj", "energy_uj", "live_bytes" }
local TOTAL_FIELDS = { "cycles", "time_us", "fps", "macs", "tops", "util", "compute_cycles",
  "mem_stall_cycles", "ctrl_stall_cycles", "dram_rd_bytes", "dram_wr_bytes", "dram_gbps",
  "irq_count", "irq_us", "host_us", "batch", "items", "unit", "items_per_s", "first_token_ms",
  "reg_writes", "e_mac_uj", "e_buf_uj", "e_dram_uj", "e_ctrl_uj", "e_host_uj", "e_static_uj",
  "energy_uj", "power_mw", "npu_power_mw", "items_per_j", "tops_per_w", "area_mm2",
  "peak_power_mw", "npu_peak_power_mw",
  "total_weight_size", "total_internal_size", "io_size", "task_size", "memory_size",
  "footprint_bytes", "dram_usable_bytes", "fits" }
local FLOAT = { util = true, time_us = true, fps = true, tops = true, dram_gbps = true,
  irq_us = true, host_us = true, items_per_s = true, first_token_ms = true, e_mac_uj = true,
  e_buf_uj = true, e_dram_uj = true, e_ctrl_uj = true, e_host_uj = true, e_static_uj = true,
  energy_uj = true, power_mw = true, npu_power_mw = true, items_per_j = true, tops_per_w = true,
  area_mm2 = true, peak_power_mw = true, npu_peak_power_mw = true }
local STRING = { unit = true }

local function keys_of(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks)
  return table.concat(ks, ",")
end
local function sorted(list)
  local c = { table.unpack(list) }
  table.sort(c)
  return table.concat(c, ",")
end

local tmp = (os.getenv("TMPDIR") or "/tmp") .. "/npusim_lua_run_test"

-- a small net: two convs, a pool and a classifier
local b = npusim.builder("small", { input = { 1, 8, 16, 16 }, dtype = "int8" })
local x = b:conv(b.input, { out = 16, k = 3, p = 1, act = "relu" })
x = b:conv(x, { out = 16, k = 3, p = 1, act = "relu" })
x = b:maxpool(x, { k = 2, s = 2 })
x = b:gemm(b:flatten(x, { axis = 1 }), { out = 10 })
local g = b:build()

-- ---- run ------------------------------------------------------------------------------------
local r, err = npusim.run { arch = "systolic", graph = g }
T.ok(r, "run: " .. tostring(err))
if not r then T.report() return end
T.eq(keys_of(r), "arch,graph,layers,model,params,schema,total", "top-level keys")
T.eq(r.schema, "npusim.result/3", "schema as in the CLI's JSON")
T.eq(r.model, "systolic", "model")
T.eq(r.graph, "small", "graph name")
T.eq(keys_of(r.total), sorted(TOTAL_FIELDS), "total field names = result.h")
for _, f in ipairs(TOTAL_FIELDS) do
  if STRING[f] then T.eq(type(r.total[f]), "string", "type of total." .. f)
  else T.eq(math.type(r.total[f]), FLOAT[f] and "float" or "integer", "type of total." .. f) end
end
T.ok(#r.layers >= 4, "one row per layer")
local macs = 0
for i, l in ipairs(r.layers) do
  for _, f in ipairs(LAYER_FIELDS) do
    T.ok(l[f] ~= nil, "layer " .. i .. " has " .. f)
  end
  T.eq(math.type(l.cycles), "integer", "layer cycles are integers")
  if l.macs > 0 then T.ok(l.cycles >= l.ideal_cycles, "cycles >= ideal for " .. l.name) end
  macs = macs + l.macs
end
T.eq(macs, g:macs(), "MACs conserved")
T.eq(r.total.macs, g:macs(), "total MACs")
T.eq(r.params.rows, 32, "params carry the defaults (rows)")
T.eq(math.type(r.params.rows), "integer", "INT params are integers")

local r16 = npusim.run { arch = "systolic", graph = g, set = { rows = 16, cols = 16 } }
T.eq(r16.params.rows, 16, "set= reaches the params")
T.ok(r16.total.cycles > r.total.cycles, "a 16x16 array is slower than 32x32")
local again = npusim.run { arch = "systolic", graph = g }
T.eq(again.total.cycles, r.total.cycles, "deterministic")

-- Arch objects
local a = npusim.arch("systolic", { rows = 16 })
T.ok(tostring(a):find("^arch systolic"), "Arch tostring: " .. tostring(a))
T.eq(npusim.run { arch = a, graph = g, set = { cols = 16 } }.total.cycles, r16.total.cycles,
  "Arch + set = preset + set")
T.eq(a:params()[1] ~= nil, true, "Arch:params()")
T.fails("rowz", a:set("rowz", 3))

-- recoverable problems: nil, message
T.fails("no_such_arch", npusim.run { arch = "no_such_arch", graph = g })
T.fails("rows", npusim.run { arch = "systolic", graph = g, set = { rows = -1 } })
T.fails("rowz", npusim.run { arch = "systolic", graph = g, set = { rowz = 1 } })
T.fails("missing.npg", npusim.run { arch = "systolic", graph = "tests/lua/missing.npg" })
T.fails("no_such_arch", npusim.params("no_such_arch"))
-- misuse: errors naming the argument / key
T.raises("bad argument #1 to 'run' (table expected, got string)", function() npusim.run("x") end)
T.raises("unknown key 'sett' (did you mean 'set'?)",
  function() npusim.run { arch = "systolic", graph = g, sett = {} } end)
T.raises("field 'graph' missing", function() npusim.run { arch = "systolic" } end)
T.raises("field 'graph' must be", function() npusim.run { arch = "systolic", graph = 3 } end)
T.raises("must be a number, string or boolean",
  function() npusim.run { arch = "systolic", graph = g, set = { rows = {} } } end)

-- params(): the parameter table
local ps = npusim.params("systolic")
local byname = {}
for _, p in ipairs(ps) do byname[p.name] = p end
T.ok(byname.rows and byname.rows.default == 32 and byname.rows.min == 1, "params rows")
T.ok(byname.dataflow and byname.dataflow.choices and #byname.dataflow.choices == 3, "enum choices")

-- ---- compare --------------------------------------------------------------------------------
local c = npusim.compare { archs = { "systolic", npusim.arch("systolic", { rows = 8, cols = 8 }) },
  graph = g }
T.eq(#c.results, 2, "compare results")
T.eq(#c.layers, #r.layers, "compare rows = layers")
local l1 = c.layers[1]
T.eq(l1.name, r.layers[1].name, "rows in layer order")
T.eq(l1.cycles["systolic"], r.layers[1].cycles, "cycles per arch (by arch name)")
T.ok(l1.cycles["systolic#2"] ~= nil, "a repeated arch name gets #<position>")
T.eq(l1.best, "systolic", "the 32x32 array wins")
T.raises("unknown key 'arch'", function() npusim.compare { arch = "x", graph = g } end)

-- ---- sweep ----------------------------------------------------------------------------------
local vary = { rows = { 8, 16 }, cols = { 8, 32 }, dataflow = { "os", "ws" } }
local s1, i1 = npusim.sweep { arch = "systolic", graph = g, vary = vary, threads = 1, progress = false }
local s2 = npusim.sweep { arch = "systolic", graph = g, vary = vary, threads = 2, progress = false }
T.eq(i1, nil, "not interrupted")
T.eq(#s1, 8, "2 x 2 x 2 points")
T.eq(#s2, 8, "same with 2 threads")
-- order: keys sorted by name (cols, dataflow, rows), the last key fastest
T.eq(s1[1].cols, 8, "row 1 cols")
T.eq(s1[1].dataflow, "os", "row 1 dataflow")
T.eq(s1[1].rows, 8, "row 1 rows")
T.eq(s1[2].rows, 16, "rows is the fastest key")
T.eq(s1[3].dataflow, "ws", "then dataflow")
T.eq(s1[5].cols, 32, "cols is the slowest key")
T.eq(keys_of(s1[1]), sorted({ "cols", "dataflow", "id", "rows", table.unpack(TOTAL_FIELDS) }),
  "row = varied params + the point's id + total fields")
local same = true
for i = 1, #s1 do
  for k, v in pairs(s1[i]) do
    if s2[i][k] ~= v then same = false end
  end
end
T.ok(same, "threads=1 and threads=2 give identical rows")
-- more threads than points: every worker takes points, some none (the ThreadSanitizer build
-- runs this file: ctest -L tsan)
local s8 = npusim.sweep { arch = "systolic", graph = g, vary = vary, threads = 8, progress = false,
  keep_layers = true }
same = #s8 == #s1
for i = 1, #s1 do
  if s8[i].cycles ~= s1[i].cycles or #s8[i].layers ~= #r.layers then same = false end
end
T.ok(same, "threads=8 gives the rows of threads=1")
T.eq(s1[8].cycles, npusim.run { arch = "systolic", graph = g,
  set = { rows = 16, cols = 32, dataflow = "ws" } }.total.cycles, "a sweep row equals a run")

local sp = npusim.sweep { arch = "systolic", graph = g, threads = 2, progress = false,
  points = { { rows = 8 }, { rows = 16, cols = 16 } }, keep_layers = true }
T.eq(#sp, 2, "points")
T.eq(sp[2].cycles, r16.total.cycles, "points row")
T.eq(#sp[1].layers, #r.layers, "keep_layers")
local one = npusim.sweep { arch = "systolic", graph = g, vary = {}, progress = false }
T.eq(#one, 1, "vary = {} is one point: the arch as configured")
T.eq(one[1].cycles, r.total.cycles, "that point is a plain run")
T.eq(#npusim.sweep { arch = "systolic", graph = g, points = {}, progress = false }, 0, "no points")
T.fails("sweep point 2", npusim.sweep { arch = "systolic", graph = g, progress = false,
  vary = { rows = { 8, 0 } } })
T.raises("unknown key 'vari' (did you mean 'vary'?)",
  function() npusim.sweep { arch = "systolic", graph = g, vari = {} } end)
T.raises("exactly one of 'vary' and 'points'",
  function() npusim.sweep { arch = "systolic", graph = g, vary = vary, points = {} } end)
T.raises("threads", function() npusim.sweep { arch = "systolic", graph = g, vary = vary, threads = 0 } end)

-- ---- write_csv / read_csv round trip ----------------------------------------------------------
local csv = tmp .. ".csv"
T.eq(npusim.write_csv(csv, s1, { force = true }), true, "write_csv")
T.fails("exists", npusim.write_csv(csv, s1))
local back, header = npusim.read_csv(csv)
T.ok(back, "read_csv: " .. tostring(header))
T.eq(header[1], "id", "a sweep row's id first")
T.eq(header[2], "cols", "then the varied params, sorted")
T.eq(header[3], "dataflow", "header 3")
T.eq(header[4], "rows", "header 4")
T.eq(header[5], "cycles", "then total fields in result.h order")
T.eq(#header, 4 + #TOTAL_FIELDS, "header width")
T.eq(#back, #s1, "rows read back")
local exact = true
for i = 1, #s1 do
  for k, v in pairs(s1[i]) do
    if back[i][k] ~= v or math.type(back[i][k]) ~= math.type(v) then
      exact = false
      print("  mismatch row " .. i .. " " .. k .. ": " .. tostring(v) .. " vs " .. tostring(back[i][k]))
    end
  end
end
T.ok(exact, "CSV round trip is exact (integers stay integers, floats read back identically)")
-- quoting and explicit columns
T.eq(npusim.write_csv(csv, { { a = "x,y", b = 'say "hi"', c = true }, { a = "", c = 1.5 } },
  { force = true, columns = { "c", "a", "b" } }), true, "write_csv columns")
local q, qh = npusim.read_csv(csv)
T.eq(table.concat(qh, "|"), "c|a|b", "explicit columns")
T.eq(q[1].a, "x,y", "comma quoted")
T.eq(q[1].b, 'say "hi"', "quotes doubled")
T.eq(q[1].c, "true", "booleans as true/false")
T.eq(q[2].b, nil, "missing value = empty cell")
T.eq(q[2].c, 1.5, "float")
-- per-layer rows: layer fields first in result.h order, other keys after
local lrows = {}
for i, l in ipairs(r.layers) do
  local c = {}
  for k, v in pairs(l) do c[k] = v end
  c.zz_extra, c.aa_extra = i, -i
  lrows[i] = c
end
T.eq(npusim.write_csv(csv, lrows, { force = true }), true, "write_csv layers")
local _, lh = npusim.read_csv(csv)
T.eq(table.concat(lh, ",", 1, #LAYER_FIELDS), table.concat(LAYER_FIELDS, ","), "layer columns")
T.eq(lh[#LAYER_FIELDS + 1], "aa_extra", "other columns after, sorted")
T.eq(lh[#lh], "zz_extra", "other columns after, sorted (the model's own columns between)")
-- a varied parameter named like a layer field (dtype) is still a leading column
T.eq(npusim.write_csv(csv, { { dtype = "int8", cycles = 1, fps = 2.5 } }, { force = true }), true,
  "write_csv dtype")
local _, dh = npusim.read_csv(csv)
T.eq(table.concat(dh, ","), "dtype,cycles,fps", "parameters first, then totals in result.h order")
T.raises("row 2 is a number", function() npusim.write_csv(csv, { {}, 3 }, { force = true }) end)
T.fails("cannot open", npusim.read_csv(tmp .. "_missing.csv"))
T.fails("", npusim.write_csv("/nonexistent_dir/x.csv", s1))

-- ---- write_json --------------------------------------------------------------------------------
local js = tmp .. ".json"
T.eq(npusim.write_json(js, { b = 1, a = { 1, 2.5, "x\n" }, c = {} }, { force = true, indent = false }),
  true, "write_json")
local fh = io.open(js)
local text = fh:read("a")
fh:close()
T.eq(text, '{"a":[1,2.5,"x\\n"],"b":1,"c":[]}\n', "JSON: sorted keys, arrays, escapes")
T.eq(npusim.write_json(js, r, { force = true }), true, "a whole result")
-- one escaper (the report's): bytes that are not UTF-8 become U+FFFD, in keys too; NUL and DEL
-- are escaped (issue 15: write_json passed invalid UTF-8 through)
T.eq(npusim.write_json(js, { ["k\xff"] = "a\xc3(b\0c\x7f\xe2\x82" }, { force = true, indent = false }),
  true, "write_json bad bytes")
fh = io.open(js)
text = fh:read("a")
fh:close()
T.eq(text, '{"k\\ufffd":"a\\ufffd(b\\u0000c\\u007f\\ufffd\\ufffd"}\n', "JSON: invalid UTF-8 replaced")
T.eq(npusim.write_csv(csv, { { a = "x\xffy", b = "\xc3\xa9" } }, { force = true }), true,
  "write_csv bad bytes")
fh = io.open(csv)
text = fh:read("a")
fh:close()
T.eq(text, "a,b\nx\xef\xbf\xbdy,\xc3\xa9\n", "CSV: invalid UTF-8 replaced, valid kept")
T.raises("cannot write a function", function() npusim.write_json(js, { f = print }, { force = true }) end)
local cyc = {}
cyc.self = cyc
T.raises("nested more than", function() npusim.write_json(js, cyc, { force = true }) end)

-- ---- batch and throughput units (issue 11) ----------------------------------------------------
local g1, g4 = npusim.graph("lenet_caffe"), npusim.graph("lenet_caffe", { batch = 4 })
local r1 = npusim.run { arch = "systolic", graph = g1 }
local r4 = npusim.run { arch = "systolic", graph = g4 }
T.eq(r1.total.batch, 1, "batch 1 by default")
T.eq(r1.total.unit, "image", "an image network counts images")
T.eq(r4.total.batch, 4, "graph{batch = 4}")
T.eq(r4.total.items, 4, "4 images per run")
T.eq(r4.total.macs, 4 * r1.total.macs, "4x the MACs")
T.ok(math.abs(r4.total.items_per_s - 4 * r4.total.fps) <= 1e-9 * r4.total.items_per_s,
  "items_per_s = 4 x fps")
T.eq(r4.total.first_token_ms, 0.0, "no first token for images")
T.raises("batch must be a positive integer", function() npusim.graph("lenet_caffe", { batch = 0 }) end)
local nf = tmp .. ".npg"
local fh2 = assert(io.open(nf, "w"))
fh2:write("npg 1\ninput x 1x4 fp16\ngemm y x out=4\n")
fh2:close()
T.fails("apply to built-in networks only", npusim.graph(nf, { args = { batch = 2 } }))
local lm = npusim.builder("lm", { input = { 1, 8, 16 }, dtype = "fp16", items = 8, unit = "token",
                                 prefill = true })
lm:gemm(lm.input, { out = 16 })
local rl = npusim.run { arch = "systolic", graph = lm:build(), set = { dtype = "fp16" } }
T.eq(rl.total.unit, "token", "builder unit")
T.eq(rl.total.items, 8, "builder items")
T.ok(math.abs(rl.total.first_token_ms - rl.total.time_us / 1000) < 1e-12, "prefill: first token")
T.raises("unit must be one word", function() npusim.builder("x", { unit = "two words" }) end)

-- npusim.report / summary (issue 15): sim/report's writers on the run as it was made; the bytes
-- against the CLI are compared by lua_report_parity
local rr = assert(npusim.run { arch = "systolic", graph = "lenet5" })
T.eq(rr.layers[1].kernel, "5x5", "layer shapes in r.layers (result/3)")
T.eq(rr.layers[1].in_shape, "1x1x32x32", "in_shape")
local txt = npusim.report(rr, "json")
T.ok(txt:find('"schema": "npusim.result/3"', 1, true) ~= nil, "report json")
T.eq(npusim.report(rr), npusim.report(rr, "table"), "table by default")
T.ok(select(2, npusim.report(rr, "table", { quiet = true }):gsub("\n", "")) == 1, "quiet: one line")
local sm = npusim.summary(rr, "op,engine")
T.eq(sm.total.count, #rr.layers, "summary total counts the layers")
T.eq(math.type(sm.total.macs), "integer", "summary integers")
local tot = 0
for _, g in ipairs(sm.ops) do tot = tot + g.share_cycles end
T.eq(tot, rr.total.cycles, "op groups add up to the run")
T.ok(#sm.engines >= 1 and sm.engines[1].name ~= nil, "engines listed")
T.eq(npusim.summary(rr).engines, nil, "only the lists asked for")
T.raises("expected op, engine or op,engine", function() npusim.summary(rr, "layer") end)
T.raises("format 'xml' unknown", function() npusim.report(rr, "xml") end)
T.raises("unknown key", function() npusim.report(rr, "csv", { sumary = "op" }) end)
T.raises("a result of npusim.run", function() npusim.report({ layers = {} }) end)
local changed = assert(npusim.run { arch = "systolic", graph = "lenet5" })
changed.layers[2].cycles = 0
T.raises("changed since", function() npusim.report(changed, "csv") end)
local added = assert(npusim.run { arch = "systolic", graph = "lenet5" })
added.note = "mine"
T.raises("changed since", function() npusim.summary(added) end)
-- a changed result is written by the generic writer (sorted keys), an unchanged one as the CLI
T.eq(npusim.write_json(tmp .. ".r.json", changed, { force = true }), true, "write_json changed")
local fj = assert(io.open(tmp .. ".r.json"))
local first = fj:read("a")
fj:close()
T.ok(first:find('^{\n  "arch"') ~= nil, "changed result: generic JSON")
T.eq(npusim.write_json(tmp .. ".r.json", rr, { force = true }), true, "write_json result")
fj = assert(io.open(tmp .. ".r.json"))
T.eq(fj:read("a"), txt, "write_json of a result = npusim.report json")
fj:close()
T.report()
