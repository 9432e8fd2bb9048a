-- lab4.lua — Lab 4: the roofline of a network, and why each layer falls where it does
-- (docs/labs/lab4.md)
--   npusim script scripts/labs/lab4.lua [NETWORK=resnet18] [OUTDIR=.]
-- For each design: x = arithmetic intensity (MACs per byte of DRAM traffic the layer really
-- caused), y = MACs per cycle achieved; the roof is min(peak MACs/cycle, DRAM bytes/cycle x
-- intensity). The CSV says, per layer, which roof is above it and how far below it the layer is.
local C = dofile((arg[0]:match("^(.*)[/\\]") or ".") .. "/common.lua")
local net, out = C.args("resnet18")
local g = assert(npusim.graph(net))
print(tostring(g))

local designs = {
  { label = "nv_large", arch = "nv_large" },
  { label = "nv_small", arch = "nv_small" },
  { label = "rk3588", arch = "rk3588", set = { cores = 1 } },
}

local rows = {}
for _, d in ipairs(designs) do
  local a = C.arch(d.arch, d.set)
  local r = a and C.run(d.label, a, g)
  if r then
    C.plot(out, "lab4_roofline_" .. d.label .. ".svg", { kind = "roofline", data = r,
      title = "Lab 4: roofline of " .. g:name() .. " on " .. d.label })
    local peak, bw = r.peak_macs, r.dram_bytes_per_cycle
    local ridge = peak / bw
    local count = { compute = 0, memory = 0, control = 0, host = 0 }
    for _, L in ipairs(r.layers) do
      local bytes = L.dram_rd_bytes + L.dram_wr_bytes
      if L.macs > 0 and L.cycles > 0 and bytes > 0 then
        local ai = L.macs / bytes
        local perf = L.macs / L.cycles
        local roof = math.min(peak, bw * ai)
        rows[#rows + 1] = {
          design = d.label, layer = L.name, op = L.op, macs = L.macs, dram_bytes = bytes,
          intensity = ai, mac_per_cycle = perf, roof = roof,
          pct_of_roof = 100 * perf / roof,
          under = ai < ridge and "DRAM slope" or "compute roof",
          bound = L.bound, ideal_cycles = L.ideal_cycles, cycles = L.cycles,
        }
        count[L.bound] = (count[L.bound] or 0) + 1
      end
    end
    print(string.format("%-9s peak %6g MAC/cycle, DRAM %6.3g B/cycle, ridge %6.1f MAC/B; " ..
      "layers bound by compute %d, memory %d, control %d, host %d", d.label, peak, bw, ridge,
      count.compute, count.memory, count.control, count.host))
  end
end
C.csv(out, "lab4_layers.csv", rows, { "design", "layer", "op", "macs", "dram_bytes",
  "intensity", "mac_per_cycle", "roof", "pct_of_roof", "under", "bound", "ideal_cycles",
  "cycles" })
C.summary("lab4")
