-- lab5.lua — Lab 5: DRAM bandwidth, and where each design turns memory-bound
-- (docs/labs/lab5.md)
--   npusim script scripts/labs/lab5.lua [NETWORK=resnet18] [OUTDIR=.]
-- Sweeps the DRAM peak bandwidth (dram.gbps) from 0.5 to 64 GB/s on several designs and
-- records, at each point, the speed and the share of the run spent in memory-bound layers.
-- A run is called memory-bound when its memory-bound layers take more than half of it; the
-- lab reports the lowest swept bandwidth at which a design stops being memory-bound (below it,
-- it turns memory-bound; "none" if it is memory-bound over the whole sweep), and the "knee":
-- the lowest bandwidth reaching 90% of the design's speed at 64 GB/s.
local C = dofile((arg[0]:match("^(.*)[/\\]") or ".") .. "/common.lua")
local net, out = C.args("resnet18")
local g = assert(npusim.graph(net))
print(tostring(g))

local gbps = { 0.5, 1, 2, 4, 8, 16, 32, 64 }
local designs = {
  { label = "nv_small", arch = "nv_small" },
  { label = "nv_large", arch = "nv_large" },
  { label = "rk3588 1 core", arch = "rk3588", set = { cores = 1, core_mask = "0" } },
  { label = "rk3588 3 cores", arch = "rk3588", set = { cores = 3, core_mask = "0_1_2" } },
  { label = "systolic 32x32", arch = "systolic", set = { rows = 32, cols = 32 } },
}

local rows, knees = {}, {}
for _, d in ipairs(designs) do
  local a = C.arch(d.arch, d.set)
  local res = a and C.sweep(d.label, { arch = a, graph = g, vary = { ["dram.gbps"] = gbps },
                                       keep_layers = true })
  if res then
    local top = res[#res].fps
    local knee, free
    for _, r in ipairs(res) do
      local mem = 0
      for _, L in ipairs(r.layers) do
        if L.bound == "memory" then mem = mem + L.share_cycles end
      end
      r.layers = nil -- keep the CSV flat
      r.design = d.label
      r.gbps = r["dram.gbps"]
      r.memory_pct = 100 * mem / math.max(1, r.cycles)
      r.fps_rel = r.fps / top
      if not knee and r.fps >= 0.9 * top then knee = r.gbps end
      if not free and r.memory_pct <= 50 then free = r.gbps end
      rows[#rows + 1] = r
    end
    knees[#knees + 1] = { design = d.label, knee_gbps = knee,
      not_memory_bound_from_gbps = free or "none", memory_pct_at_64 = res[#res].memory_pct,
      fps_at_64 = top, fps_at_0_5 = res[1].fps }
  end
end
assert(#rows > 0, "no architecture available")
C.csv(out, "lab5_sweep.csv", rows, { "design", "gbps", "cycles", "time_us", "fps", "fps_rel",
  "memory_pct", "util", "dram_gbps", "mem_stall_cycles" })
C.csv(out, "lab5_knees.csv", knees, { "design", "knee_gbps", "not_memory_bound_from_gbps",
  "memory_pct_at_64", "fps_at_0_5", "fps_at_64" })
C.plot(out, "lab5_fps.svg", { kind = "sweep", data = rows, x = "gbps", y = "fps",
  series = "design", logx = true, logy = true, xlabel = "DRAM peak bandwidth (GB/s)",
  ylabel = "inferences/s", title = "Lab 5: " .. g:name() .. " speed vs DRAM bandwidth" })
C.plot(out, "lab5_fps_relative.svg", { kind = "sweep", data = rows, x = "gbps", y = "fps_rel",
  series = "design", logx = true, xlabel = "DRAM peak bandwidth (GB/s)",
  ylabel = "speed / speed at 64 GB/s", title = "Lab 5: where more bandwidth stops helping" })
C.plot(out, "lab5_memory_share.svg", { kind = "sweep", data = rows, x = "gbps",
  y = "memory_pct", series = "design", logx = true, xlabel = "DRAM peak bandwidth (GB/s)",
  ylabel = "memory-bound layers (% of run)",
  title = "Lab 5: share of the run in memory-bound layers" })
C.plot(out, "lab5_memory_heatmap.svg", { kind = "heatmap", data = rows, x = "gbps",
  y = "design", z = "memory_pct", better = "lower", xlabel = "DRAM peak bandwidth (GB/s)",
  ylabel = "design", title = "Lab 5: memory-bound share of the run (%)" })

for _, k in ipairs(knees) do
  print(string.format("%-15s knee at %4s GB/s; not memory-bound from %4s GB/s " ..
    "(memory-bound layers: %4.1f%% of the run at 64 GB/s)", k.design, tostring(k.knee_gbps),
    tostring(k.not_memory_bound_from_gbps), k.memory_pct_at_64))
end
C.summary("lab5")
