-- lab6.lua — Lab 6: the energy-optimal CBUF size and MAC count under a latency bound
-- (docs/labs/lab6.md)
--   npusim script scripts/labs/lab6.lua [NETWORK=resnet18] [OUTDIR=.]
-- Sweeps an NVDLA design (nv_large's datapath, detailed model) over its MAC count
-- (mac_atomic_k: 512, 1024, 2048 MACs) and its CBUF size (cbuf_banks of 32 KiB: 128 to 512 KiB)
-- and records, at each point, the latency, the energy per inference split by action class, the
-- NPU's power and its area. The latency bound is 1.5 x the fastest point's latency; the lab
-- reports the design with the least energy per inference among those within the bound.
local C = dofile((arg[0]:match("^(.*)[/\\]") or ".") .. "/common.lua")
local net, out = C.args("resnet18")
local g = assert(npusim.graph(net))
print(tostring(g))

local SLACK = 1.5 -- the latency bound, as a multiple of the fastest design's latency
local ks = { 8, 16, 32 }        -- x 64 input channels = 512, 1024, 2048 MACs
local banks = { 4, 8, 16 }      -- x 32 KiB = 128, 256, 512 KiB

local a = assert(C.arch("nv_large", { cbuf_bank_kb = 32 }), "lab 6 needs the nvdla model")
local res = assert(C.sweep("nv_large", { arch = a, graph = g,
  vary = { mac_atomic_k = ks, cbuf_banks = banks } }), "the sweep failed")
local fastest = math.huge
for _, r in ipairs(res) do fastest = math.min(fastest, r.time_us) end
local bound = SLACK * fastest

local rows, best = {}, nil
for _, r in ipairs(res) do
  local row = { macs = 64 * r.mac_atomic_k, cbuf_kib = 32 * r.cbuf_banks, time_us = r.time_us,
    energy_uj = r.energy_uj, e_mac_uj = r.e_mac_uj, e_buf_uj = r.e_buf_uj,
    e_dram_uj = r.e_dram_uj, e_static_uj = r.e_static_uj, npu_power_mw = r.npu_power_mw,
    peak_power_mw = r.peak_power_mw,
    tops_per_w = r.tops_per_w, area_mm2 = r.area_mm2,
    within_bound = r.time_us <= bound and 1 or 0 }
  row.design = string.format("%d MACs", row.macs)
  row.point = string.format("%d MACs, %d KiB CBUF", row.macs, row.cbuf_kib)
  rows[#rows + 1] = row
  if row.within_bound == 1 and (not best or row.energy_uj < best.energy_uj) then best = row end
end
local cols = { "design", "macs", "cbuf_kib", "time_us", "energy_uj", "e_mac_uj", "e_buf_uj",
  "e_dram_uj", "e_static_uj", "npu_power_mw", "peak_power_mw", "tops_per_w", "area_mm2",
  "within_bound" }
C.csv(out, "lab6_sweep.csv", rows, cols)
best.bound_us = bound
C.csv(out, "lab6_best.csv", { best }, { "macs", "cbuf_kib", "time_us", "bound_us", "energy_uj",
  "area_mm2" })
C.plot(out, "lab6_energy_latency.svg", { kind = "sweep", data = rows, x = "time_us",
  y = "energy_uj", series = "design", xlabel = "latency (us)",
  ylabel = "energy per inference (uJ)",
  title = "Lab 6: " .. g:name() .. " energy vs latency (lines: CBUF 128 to 512 KiB)" })
C.plot(out, "lab6_pareto.svg", { kind = "pareto", data = rows, x = "time_us", y = "energy_uj",
  series = "design", label = "point", xlabel = "latency (us)",
  ylabel = "energy per inference (uJ)", bound = bound,
  title = "Lab 6: " .. g:name() .. " designs in latency x energy, Pareto front and bound" })
C.plot(out, "lab6_energy_heatmap.svg", { kind = "heatmap", data = rows, x = "cbuf_kib",
  y = "design", z = "energy_uj", better = "lower", xlabel = "CBUF (KiB)", ylabel = "MACs",
  title = "Lab 6: energy per inference (uJ)" })

print(string.format("latency bound %.0f us (%.1f x the fastest, %.0f us)", bound, SLACK, fastest))
for _, r in ipairs(rows) do
  print(string.format("%5d MACs %4d KiB: %8.0f us %8.1f uJ (static %4.1f%%) %s", r.macs,
    r.cbuf_kib, r.time_us, r.energy_uj, 100 * r.e_static_uj / r.energy_uj,
    r.within_bound == 1 and "" or "  over the bound"))
end
print(string.format("least energy within the bound: %d MACs, %d KiB CBUF, %.1f uJ, %.2f mm2",
  best.macs, best.cbuf_kib, best.energy_uj, best.area_mm2))
C.summary("lab6")
