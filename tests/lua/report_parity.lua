-- report_parity.lua OUTDIR — the Lua half of report_parity_test.sh (issue 15: "a test runs the
-- CLI and the Lua API on the same inputs and compares their CSV/JSON byte for byte").
-- For every case it writes what the Lua API gives to OUTDIR/NAME and prints one line
--   NAME<TAB>the npusim arguments that must write the same bytes
-- so the list of cases lives here only. Writers compared: npusim.report (every format, with and
-- without summaries, -q), write_json(r), write_csv(r) and write_csv(r.layers).
local out = assert(arg[1], "usage: report_parity.lua OUTDIR")

-- arch, network, --set, zoo args: several models, a network with fused 0-cycle layers
-- (resnet18 on rk3588: PPU-fused maxpool, DPU-fused adds), a parameterised zoo network
local runs = {
  { arch = "rk3588", net = "resnet18" },
  { arch = "nv_small", net = "resnet18" },
  { arch = "systolic", net = "lenet5", set = { rows = 64, cols = 16 } },
  { arch = "ascend310", net = "mobilenet_v2" },
  { arch = "tpu_v1", net = "transformer", args = "hidden=256,layers=2,heads=4,tokens=16" },
}
local variants = {
  { tag = "table", fmt = "table" },
  { tag = "csv", fmt = "csv" },
  { tag = "json", fmt = "json" },
  { tag = "q", fmt = "table", opts = { quiet = true }, cli = "-q" },
  { tag = "op.table", fmt = "table", opts = { summary = "op" }, cli = "--summary op" },
  { tag = "engine.csv", fmt = "csv", opts = { summary = "engine" }, cli = "--summary engine" },
  { tag = "both.json", fmt = "json", opts = { summary = "op,engine" },
    cli = "--summary op,engine" },
  { tag = "both.csv", fmt = "csv", opts = { summary = "engine,op" }, cli = "--summary engine,op" },
}

local function put(name, text)
  local f = assert(io.open(out .. "/" .. name, "wb"))
  assert(f:write(text))
  assert(f:close())
end

for _, c in ipairs(runs) do
  local g = assert(npusim.graph(c.net, c.args and { args = c.args } or nil))
  local r = assert(npusim.run { arch = c.arch, graph = g, set = c.set })
  local cli = "run -a " .. c.arch
  local keys = {}
  for k in pairs(c.set or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do cli = cli .. " --set " .. k .. "=" .. tostring(c.set[k]) end
  if c.args then cli = cli .. " --zoo-args " .. c.args end
  local base = c.arch .. "." .. c.net
  for _, v in ipairs(variants) do
    local name = base .. "." .. v.tag
    put(name, npusim.report(r, v.fmt, v.opts))
    print(name .. "\t" .. cli .. " -f " .. v.fmt .. (v.cli and " " .. v.cli or "") .. " " .. c.net)
  end
  assert(npusim.write_json(out .. "/" .. base .. ".write_json", r))
  print(base .. ".write_json\t" .. cli .. " -f json " .. c.net)
  assert(npusim.write_csv(out .. "/" .. base .. ".write_csv", r))
  print(base .. ".write_csv\t" .. cli .. " -f csv " .. c.net)
  assert(npusim.write_csv(out .. "/" .. base .. ".write_csv_layers", r.layers))
  print(base .. ".write_csv_layers\t" .. cli .. " -f csv " .. c.net)
end
