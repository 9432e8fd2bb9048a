-- lab1.lua — Lab 1: how big a MAC array and how big a convolution buffer? (docs/labs/lab1.md)
--   npusim script scripts/labs/lab1.lua [NETWORK=resnet18] [OUTDIR=.]
-- The handout runs it on resnet50. Sweeps the NVDLA MAC array (atomic-C x atomic-K) and the
-- CBUF size (16 banks x bank size) around nv_large, then finds the best design overall, the best
-- per MAC (a proxy for silicon area) and the best design for each layer.
local C = dofile((arg[0]:match("^(.*)[/\\]") or ".") .. "/common.lua")
local net, out = C.args("resnet18")
local g = assert(npusim.graph(net))
print(tostring(g))

-- MAC arrays that NVDLA configurations use (atomic_c x atomic_k), and CBUF sizes from 128 KiB
-- to 1 MiB (nv_small has 128 KiB, nv_large 512 KiB).
local arrays = { { 8, 8 }, { 16, 8 }, { 32, 8 }, { 32, 16 }, { 64, 16 }, { 64, 32 } }
local bank_kb = { 8, 16, 32, 64 }
local points = {}
for _, m in ipairs(arrays) do
  for _, kb in ipairs(bank_kb) do
    points[#points + 1] = { mac_atomic_c = m[1], mac_atomic_k = m[2], cbuf_bank_kb = kb }
  end
end

local t0 = npusim.clock()
local rows = assert(npusim.sweep { arch = "nv_large", graph = g, points = points,
                                   set = { cbuf_banks = 16 }, keep_layers = true })
print(string.format("%d design points in %.2f s", #rows, npusim.clock() - t0))

-- derived columns: the array size, the buffer size, and fps per 1000 MACs (area efficiency)
for _, r in ipairs(rows) do
  r.macs_array = r.mac_atomic_c * r.mac_atomic_k
  r.cbuf_kib = 16 * r.cbuf_bank_kb
  r.fps_per_kmac = r.fps / r.macs_array * 1000
end
C.csv(out, "lab1_sweep.csv", rows, { "macs_array", "cbuf_kib", "mac_atomic_c", "mac_atomic_k",
  "cbuf_bank_kb", "cycles", "time_us", "fps", "util", "fps_per_kmac", "dram_gbps",
  "mem_stall_cycles", "ctrl_stall_cycles" })

C.plot(out, "lab1_fps_heatmap.svg", { kind = "heatmap", data = rows, x = "macs_array",
  y = "cbuf_kib", z = "fps", xlabel = "MACs per cycle", ylabel = "CBUF (KiB)",
  title = "Lab 1: inferences/s of " .. g:name() .. " on NVDLA (nv_large base)" })
C.plot(out, "lab1_efficiency_heatmap.svg", { kind = "heatmap", data = rows, x = "macs_array",
  y = "cbuf_kib", z = "fps_per_kmac", better = "higher", xlabel = "MACs per cycle",
  ylabel = "CBUF (KiB)", title = "Lab 1: inferences/s per 1000 MACs (area efficiency)" })
C.plot(out, "lab1_fps_vs_macs.svg", { kind = "sweep", data = rows, x = "macs_array", y = "fps",
  series = "cbuf_kib", xlabel = "MACs per cycle", ylabel = "inferences/s",
  title = "Lab 1: scaling the MAC array, one curve per CBUF size (KiB)" })

-- best overall (fastest) and best per MAC
local function label(r) return string.format("%d MAC / %d KiB", r.macs_array, r.cbuf_kib) end
local best, eff = rows[1], rows[1]
for _, r in ipairs(rows) do
  if r.cycles < best.cycles then best = r end
  if r.fps_per_kmac > eff.fps_per_kmac then eff = r end
end
print("fastest design:        " .. label(best) .. ", " .. C.g(best.fps) .. " inferences/s")
print("best per MAC:          " .. label(eff) .. ", " .. C.g(eff.fps_per_kmac) ..
      " inferences/s per 1000 MACs")

-- best design per layer: fewest cycles; ties go to the smaller design (earlier point)
local per_layer = {}
local base = rows[1] -- the smallest design
for i, L in ipairs(base.layers) do
  local b = base
  for _, r in ipairs(rows) do
    if r.layers[i].cycles < b.layers[i].cycles then b = r end
  end
  -- the smallest design within 10% of the best: diminishing returns
  local enough = b
  for _, r in ipairs(rows) do
    if r.layers[i].cycles <= 1.1 * b.layers[i].cycles and r.macs_array * r.cbuf_kib <
       enough.macs_array * enough.cbuf_kib then
      enough = r
    end
  end
  per_layer[#per_layer + 1] = {
    layer = L.name, op = L.op, macs = L.macs,
    best_design = label(b), best_cycles = b.layers[i].cycles, best_bound = b.layers[i].bound,
    smallest_cycles = L.cycles,
    speedup = L.cycles > 0 and L.cycles / math.max(1, b.layers[i].cycles) or 1,
    within10_design = label(enough),
  }
end
C.csv(out, "lab1_best_per_layer.csv", per_layer, { "layer", "op", "macs", "best_design",
  "best_cycles", "best_bound", "smallest_cycles", "speedup", "within10_design" })

-- where the fastest design spends its time
local r = assert(npusim.run { arch = "nv_large", graph = g, set = { cbuf_banks = 16,
  mac_atomic_c = best.mac_atomic_c, mac_atomic_k = best.mac_atomic_k,
  cbuf_bank_kb = best.cbuf_bank_kb } })
C.plot(out, "lab1_best_layers.svg", { kind = "layers", data = r,
  title = "Lab 1: " .. g:name() .. " on the fastest design (" .. label(best) .. ")" })
C.summary("lab1")
