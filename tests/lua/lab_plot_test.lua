-- lab_plot_test.lua — npusim.plot from Lua: every kind, the file rules (no silent overwrite),
-- recoverable problems as nil + message, misuse as errors naming the key.
--   npusim script tests/lua/lab_plot_test.lua DIR        (DIR exists and is writable)
local dir = assert(arg[1], "usage: lab_plot_test.lua DIR")
local failures, passed = 0, 0
local function ok(c, msg)
  if c then passed = passed + 1 else failures = failures + 1; print("FAIL " .. msg) end
end
local function read(p)
  local f = io.open(p, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end
local function raises(f, pattern, what)
  local st, e = pcall(f)
  ok(not st and tostring(e):find(pattern, 1, true) ~= nil,
     what .. ": expected an error with '" .. pattern .. "', got " .. tostring(e))
end

local b = npusim.builder("plot<&>", { input = { 1, 8, 16, 16 } })
local x = b:conv(b.input, { out = 16, k = 3, p = 1, act = "relu", name = "a<b>&\"c" })
x = b:conv(x, { out = 16, k = 3, p = 1 })
x = b:gemm(b:flatten(x, { axis = 1 }), { out = 10 })
local g = b:build()
local r = assert(npusim.run { arch = "systolic", graph = g })
ok(r.peak_macs == 1024.0 and r.dram_bytes_per_cycle > 0 and r.freq_mhz > 0, "roofline fields")
for k in pairs(r) do
  ok(k ~= "peak_macs" and k ~= "dram_bytes_per_cycle", "roofline fields are not own keys")
end

-- layers and roofline
local p1 = dir .. "/layers.svg"
ok(npusim.plot { kind = "layers", data = r, path = p1, force = true }, "layers")
local s = read(p1) or ""
ok(s:find("a&lt;b&gt;&amp;&quot;c", 1, true) ~= nil, "layer name escaped")
ok(s:find("plot&lt;&amp;&gt; on systolic", 1, true) ~= nil, "default title escaped")
ok(s:sub(-7) == "</svg>\n", "complete document")
local again, msg = npusim.plot { kind = "layers", data = r, path = p1 }
ok(again == nil and msg:find("exists", 1, true), "no silent overwrite: " .. tostring(msg))
ok(npusim.plot { kind = "layers", data = r.layers, path = p1, force = true }, "layers list")
ok(npusim.plot { kind = "roofline", data = r, path = dir .. "/roof.svg", force = true }, "roof")
ok((read(dir .. "/roof.svg") or ""):find("ridge 100 MAC/B", 1, true), "ridge of systolic")
local copy = {}
for k, v in pairs(r) do copy[k] = v end
ok(npusim.plot { kind = "roofline", data = copy, path = dir .. "/roof2.svg", force = true },
   "roofline of a copy")
ok((read(dir .. "/roof2.svg") or ""):find("roofs not drawn", 1, true), "copy: no roofs, said so")

-- sweep and heatmap
local rows = assert(npusim.sweep { arch = "systolic", graph = g, threads = 2,
                                   vary = { rows = { 8, 16, 32 }, cols = { 8, 16 } } })
ok(npusim.plot { kind = "sweep", data = rows, x = "rows", y = "cycles", series = "cols",
                 path = dir .. "/sweep.svg", force = true }, "sweep")
s = read(dir .. "/sweep.svg") or ""
ok(s:find(">cols<", 1, true) and s:find(">8<", 1, true) and s:find(">16<", 1, true),
   "legend: cols, then one entry per value")
ok(select(2, s:gsub("<polyline", "")) == 2, "two curves")
ok(npusim.plot { kind = "heatmap", data = rows, x = "rows", y = "cols", z = "cycles",
                 path = dir .. "/heat.svg", force = true, per_row = true }, "heatmap")
s = read(dir .. "/heat.svg") or ""
ok(select(2, s:gsub("stroke%-width=\"3\"", "")) == 2, "best of each of the 2 rows outlined")
ok(s:find("lower", 1, true), "cycles: lower is better")
local nilv, m2 = npusim.plot { kind = "heatmap", data = rows, x = "rows", y = "rows",
                               path = dir .. "/dup.svg", force = true }
ok(nilv == nil and m2:find("more than once", 1, true), "duplicate cells: " .. tostring(m2))

-- energy charts (issue 17): per-layer energy bars of a run, the Pareto front of sweep rows
do
  local p = dir .. "/energy.svg"
  ok(npusim.plot { kind = "energy", data = r, path = p, force = true }, "energy chart")
  local svg = read(p) or ""
  ok(select(2, svg:gsub("text%-anchor=\"end\"><title>", "")) == #r.layers,
     "one bar group per layer")
  local pr = { { time_us = 1, energy_uj = 5, d = "a" }, { time_us = 2, energy_uj = 3, d = "b" },
               { time_us = 2, energy_uj = 4, d = "c" }, { time_us = 3, energy_uj = 1, d = "d" },
               { time_us = 3, energy_uj = 1, d = "e" } }
  p = dir .. "/pareto.svg"
  ok(npusim.plot { kind = "pareto", data = pr, label = "d", path = p, force = true }, "pareto")
  svg = read(p) or ""
  ok(select(2, svg:gsub(", on the Pareto front</title>", "")) == 4, "a, b, d, e on the front")
  ok(svg:find("c: time_us (us) = 2, energy_uj (uJ) = 4, dominated", 1, true), "c dominated")
  raises(function() npusim.plot { kind = "pareto", data = { { time_us = 1 } }, path = "x.svg" } end,
         "y 'energy_uj' is nil", "pareto without energy")
  -- a latency bound of 2.5: b (2, 3) is the least energy within it
  ok(npusim.plot { kind = "pareto", data = pr, label = "d", path = p, force = true, bound = 2.5 },
     "pareto with a bound")
  svg = read(p) or ""
  ok(svg:find(">best within the bound: b<", 1, true), "b ringed")
  raises(function() npusim.plot { kind = "pareto", data = pr, path = "x.svg", bound = -1 } end,
         "bound must be a number > 0", "a bad bound")
end

-- misuse
raises(function() npusim.plot { kind = "heatmp", data = rows, path = "x.svg" } end,
       "did you mean 'heatmap'", "kind typo")
raises(function() npusim.plot { kind = "sweep", data = rows, x = "rows", path = "x.svg", colour = 1 } end,
       "unknown key 'colour'", "unknown key")
raises(function() npusim.plot { kind = "sweep", data = rows, path = "x.svg" } end,
       "field 'x' missing", "missing x")
raises(function() npusim.plot { kind = "layers", data = r } end, "field 'path' missing", "path")
raises(function() npusim.plot { kind = "sweep", data = rows, x = "rows", y = "nope", path = "x.svg" } end,
       "y 'nope' is nil", "unknown y field")
raises(function() npusim.plot { kind = "layers", data = {}, path = "x.svg" } end,
       "has no layers", "empty data")
raises(function() npusim.plot { kind = "heatmap", data = rows, x = "rows", y = "cols", better = "up", path = "x.svg" } end,
       "'better' must be", "better")

-- lab 2's chart draws host time for every layer that has it (issue 15: on nv_small resnet18
-- the table showed 25 ms of host time, the chart drew it for conv1 only)
do
  local rh = assert(npusim.run { arch = "nv_small", graph = "resnet18" })
  local want = 0
  for _, l in ipairs(rh.layers) do if l.host_cycles > 0 then want = want + 1 end end
  local p = dir .. "/host.svg"
  ok(npusim.plot { kind = "layers", data = rh, path = p, force = true }, "host chart")
  local svg = read(p) or ""
  local got = select(2, svg:gsub(": host %d+ cycles", ""))
  ok(want > 20 and got == want, "host drawn for " .. got .. " of " .. want .. " layers")
end

print(passed .. " passed, " .. failures .. " failed")
if failures > 0 then error(failures .. " check(s) failed", 0) end
