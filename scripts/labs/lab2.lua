-- lab2.lua — Lab 2: one network on five NPUs, layer by layer (docs/labs/lab2.md)
--   npusim script scripts/labs/lab2.lua [NETWORK=resnet18] [OUTDIR=.]
-- NVDLA nv_small (headless, 64 MACs) and nv_large (headed, 2048 MACs); the Rockchip RK3588 NPU
-- with 1, 2 and 3 cores (core_mask 0, 0_1, 0_1_2: the runtime splits each layer across the
-- cores it is given). Layers are compared by time (µs), since designs may differ in clock.
local C = dofile((arg[0]:match("^(.*)[/\\]") or ".") .. "/common.lua")
local net, out = C.args("resnet18")
local g = assert(npusim.graph(net))
print(tostring(g))

local designs = {
  { label = "nv_small", arch = "nv_small" },
  { label = "nv_large", arch = "nv_large" },
  { label = "rk3588 1 core", arch = "rk3588", set = { cores = 1, core_mask = "0" } },
  { label = "rk3588 2 cores", arch = "rk3588", set = { cores = 2, core_mask = "0_1" } },
  { label = "rk3588 3 cores", arch = "rk3588", set = { cores = 3, core_mask = "0_1_2" } },
}

local results, totals = {}, {}
for _, d in ipairs(designs) do
  local a = C.arch(d.arch, d.set)
  local r = a and C.run(d.label, a, g)
  if r then
    d.result = r
    results[#results + 1] = d
    totals[#totals + 1] = { design = d.label, arch = d.arch, cycles = r.total.cycles,
      time_us = r.total.time_us, fps = r.total.fps, util = r.total.util,
      dram_gbps = r.total.dram_gbps, irq_count = r.total.irq_count, irq_us = r.total.irq_us,
      host_us = r.total.host_us, peak_macs = r.peak_macs }
    local slug = d.label:gsub("[^%w]+", "_")
    C.plot(out, "lab2_layers_" .. slug .. ".svg", { kind = "layers", data = r,
      title = "Lab 2: " .. g:name() .. " on " .. d.label })
  end
end
assert(#results > 0, "no architecture available")
C.csv(out, "lab2_totals.csv", totals, { "design", "arch", "cycles", "time_us", "fps", "util",
  "dram_gbps", "irq_count", "irq_us", "host_us", "peak_macs" })

-- per layer, matched by name (a model may split or fuse layers: missing cells stay empty)
local first = results[1].result
local cells, per_layer = {}, {}
local index = {}
for _, d in ipairs(results) do
  local m = {}
  for _, L in ipairs(d.result.layers) do m[L.name] = L end
  index[d.label] = m
end
for _, L0 in ipairs(first.layers) do
  local row = { layer = L0.name, op = L0.op, macs = L0.macs }
  local best, bt = nil, math.huge
  for _, d in ipairs(results) do
    local L = index[d.label][L0.name]
    if L then
      local us = C.us(d.result, L.cycles)
      row[d.label] = us
      -- 0 cycles: the design fused this layer into its producer (its time is there); such a
      -- cell is left empty ("-") in the heatmap and cannot be "best"
      if L.cycles > 0 then
        cells[#cells + 1] = { layer = L0.name, design = d.label, time_us = us }
        if us < bt then best, bt = d.label, us end
      end
    end
  end
  row.best = best
  per_layer[#per_layer + 1] = row
end
local cols = { "layer", "op", "macs" }
for _, d in ipairs(results) do cols[#cols + 1] = d.label end
cols[#cols + 1] = "best"
C.csv(out, "lab2_per_layer_us.csv", per_layer, cols)

-- one picture: designs side by side (columns), layers in network order (rows)
C.plot(out, "lab2_per_layer_heatmap.svg", { kind = "heatmap", data = cells, x = "design", per_row = true,
  y = "layer", z = "time_us", better = "lower", xlabel = "design", ylabel = "layer",
  title = "Lab 2: time per layer (µs) of " .. g:name() })

local wins = {}
for _, row in ipairs(per_layer) do
  if row.best then wins[row.best] = (wins[row.best] or 0) + 1 end
end
for _, t in ipairs(totals) do
  print(string.format("%-16s %10.1f us %8.1f inf/s  util %5.1f%%  fastest on %d layers",
    t.design, t.time_us, t.fps, 100 * t.util, wins[t.design] or 0))
end
C.summary("lab2")
