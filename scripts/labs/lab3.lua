-- lab3.lua — Lab 3: what does an interrupt cost? Headless vs headed NVDLA as layers shrink
-- (docs/labs/lab3.md)
--   npusim script scripts/labs/lab3.lua [NETWORK=resnet18] [OUTDIR=.]
-- A headless NVDLA (nv_small style) raises an interrupt on the host CPU after every hardware
-- operation and the CPU driver programs the next one; a headed NVDLA (nv_large) has a
-- microcontroller that does this next to the accelerator, and the CPU sees one interrupt per
-- task. The fixed cost per operation matters more as the work per operation shrinks: this lab
-- runs a chain of identical 3x3 convolutions at feature-map sizes from 56x56 down to 2x2 on the
-- same hardware (nv_large's MAC array and buffers) in both modes, then NETWORK in both modes.
local C = dofile((arg[0]:match("^(.*)[/\\]") or ".") .. "/common.lua")
local net, out = C.args("resnet18")

local NCONV, CH = 8, 64
local sizes = { 56, 28, 14, 7, 4, 2 }
local modes = { { mode = "headed (MCU)", set = { headed = true } },
                { mode = "headless (CPU)", set = { headed = false } } }

local rows = {}
for _, s in ipairs(sizes) do
  local b = npusim.builder("chain" .. s, { input = { 1, CH, s, s }, dtype = "int8" })
  local x = b.input
  for _ = 1, NCONV do x = b:conv(x, { out = CH, k = 3, p = 1, act = "relu" }) end
  local g = b:build()
  for _, m in ipairs(modes) do
    local r = assert(npusim.run { arch = "nv_large", graph = g, set = m.set })
    local t = r.total
    rows[#rows + 1] = {
      size = s, mode = m.mode, macs_per_layer = t.macs // NCONV,
      us_per_layer = t.time_us / NCONV,
      control_pct = 100 * t.ctrl_stall_cycles / math.max(1, t.cycles),
      compute_pct = 100 * t.compute_cycles / math.max(1, t.cycles),
      idle_pct = 100 - 100 * t.compute_cycles / math.max(1, t.cycles),
      host_us_per_layer = t.host_us / NCONV,
      irq_per_layer = t.irq_count / NCONV, irq_us = t.irq_us, host_us = t.host_us,
      util = t.util,
    }
  end
end
C.csv(out, "lab3_shrinking_layers.csv", rows, { "size", "mode", "macs_per_layer",
  "us_per_layer", "idle_pct", "control_pct", "compute_pct", "irq_per_layer", "host_us_per_layer",
  "irq_us", "host_us", "util" })
C.plot(out, "lab3_time_per_layer.svg", { kind = "sweep", data = rows, x = "macs_per_layer",
  y = "us_per_layer", series = "mode", logx = true, logy = true,
  xlabel = "MACs per layer (" .. CH .. "->" .. CH .. " 3x3 conv, 56x56 ... 2x2)",
  ylabel = "time per layer (us)", title = "Lab 3: time per layer, headed vs headless NVDLA" })
C.plot(out, "lab3_idle_share.svg", { kind = "sweep", data = rows, x = "macs_per_layer",
  y = "idle_pct", series = "mode", logx = true, xlabel = "MACs per layer",
  ylabel = "convolution core idle (% of time)",
  title = "Lab 3: share of time the convolution core is not computing" })

-- the network, both ways, layer by layer
local g = assert(npusim.graph(net))
local res = {}
for _, m in ipairs(modes) do
  res[#res + 1] = assert(npusim.run { arch = "nv_large", graph = g, set = m.set })
end
local per = {}
for i, L in ipairs(res[1].layers) do
  local H = res[2].layers[i]
  per[#per + 1] = { layer = L.name, op = L.op, macs = L.macs,
    headed_cycles = L.cycles, headless_cycles = H.cycles,
    headed_ctrl = L.ctrl_stall_cycles, headless_ctrl = H.ctrl_stall_cycles,
    headed_irq = L.irq_count, headless_irq = H.irq_count,
    slowdown = L.cycles > 0 and H.cycles / L.cycles or 0 }
end
C.csv(out, "lab3_network.csv", per, { "layer", "op", "macs", "headed_cycles", "headless_cycles",
  "headed_ctrl", "headless_ctrl", "headed_irq", "headless_irq", "slowdown" })
C.plot(out, "lab3_layers_headed.svg", { kind = "layers", data = res[1],
  title = "Lab 3: " .. g:name() .. " on nv_large, headed (MCU takes the interrupts)" })
C.plot(out, "lab3_layers_headless.svg", { kind = "layers", data = res[2],
  title = "Lab 3: " .. g:name() .. " on nv_large, headless (CPU takes every interrupt)" })

for _, r in ipairs(rows) do
  print(string.format("%2dx%-2d %-15s %9.2f us/layer  idle %5.1f%%  %4.1f irq/layer  host %8.2f us/layer",
    r.size, r.size, r.mode, r.us_per_layer, r.idle_pct, r.irq_per_layer, r.host_us_per_layer))
end
print(string.format("%s: headed %.1f us, headless %.1f us (x%.2f)", g:name(),
  res[1].total.time_us, res[2].total.time_us, res[2].total.time_us / res[1].total.time_us))
C.summary("lab3")
