-- energy_test.lua — energy is conserved on every preset (issue 17): per layer the classes sum to
-- energy_uj, the layers sum to the total, dynamic + static = total, power = energy / time; and
-- the prices follow their rules (process node, DRAM type, declared buffers).
local T = dofile("tests/lua/check.lua")

local CLASSES = { "e_mac_uj", "e_buf_uj", "e_dram_uj", "e_ctrl_uj", "e_host_uj", "e_static_uj" }
local g = assert(npusim.graph("lenet_caffe"))

local function rel(a, b) return math.abs(a - b) / math.max(math.abs(b), 1e-12) end

local function conserved(arch, r)
  local t, sum, cls = r.total, 0, {}
  for _, c in ipairs(CLASSES) do cls[c] = 0 end
  for _, l in ipairs(r.layers) do
    local s = 0
    for _, c in ipairs(CLASSES) do
      T.ok(l[c] >= 0, arch .. " " .. l.name .. " " .. c .. " >= 0")
      s = s + l[c]
      cls[c] = cls[c] + l[c]
    end
    T.ok(rel(s, l.energy_uj) < 1e-9 or math.abs(s - l.energy_uj) < 1e-12,
      arch .. " " .. l.name .. ": classes sum to energy_uj")
    sum = sum + l.energy_uj
  end
  T.ok(t.energy_uj > 0, arch .. ": energy > 0")
  T.ok(rel(sum, t.energy_uj) < 1e-9, arch .. ": layers sum to the total")
  local dyn = 0
  for _, c in ipairs(CLASSES) do
    T.ok(rel(cls[c], t[c]) < 1e-9 or math.abs(t[c]) < 1e-12, arch .. ": " .. c .. " total")
    if c ~= "e_static_uj" then dyn = dyn + t[c] end
  end
  T.ok(rel(dyn + t.e_static_uj, t.energy_uj) < 1e-9, arch .. ": dynamic + static = total")
  T.ok(rel(t.power_mw, t.energy_uj / t.time_us * 1e3) < 1e-9, arch .. ": power = energy / time")
  T.ok(t.npu_power_mw > 0 and t.npu_power_mw <= t.power_mw * (1 + 1e-9), arch .. ": NPU <= all")
  T.ok(t.area_mm2 > 0, arch .. ": area > 0")
  T.ok(rel(t.items_per_j, t.items / (t.energy_uj * 1e-6)) < 1e-9, arch .. ": items per joule")
  -- peak power: the profile (each layer's dynamic energy spread over its [start, end), plus
  -- static power), its highest value, recomputed here at every layer start (O(n^2)): the
  -- profile only rises at a start
  local static = t.power_mw - (t.energy_uj - t.e_static_uj) / t.time_us * 1e3
  local npu_static = t.npu_power_mw - (t.e_mac_uj + t.e_buf_uj + t.e_ctrl_uj) / t.time_us * 1e3
  local us = t.time_us / t.cycles
  local pk, npk = 0, 0
  for _, a in ipairs(r.layers) do
    if a["end"] > a.start then
      local s_all, s_npu = 0, 0
      for _, b in ipairs(r.layers) do
        if b.start <= a.start and a.start < b["end"] then
          local d = (b["end"] - b.start) * us
          local n = b.e_mac_uj + b.e_buf_uj + b.e_ctrl_uj
          s_npu = s_npu + n / d * 1e3
          s_all = s_all + (n + b.e_dram_uj + b.e_host_uj) / d * 1e3
        end
      end
      pk, npk = math.max(pk, s_all), math.max(npk, s_npu)
    end
  end
  T.near(t.peak_power_mw, math.max(pk + static, t.power_mw), 1e-9 * t.peak_power_mw, arch .. ": peak power")
  T.near(t.npu_peak_power_mw, math.max(npk + npu_static, t.npu_power_mw),
    1e-9 * t.npu_peak_power_mw,
    arch .. ": NPU peak power")
  T.ok(t.npu_peak_power_mw <= t.peak_power_mw * (1 + 1e-9), arch .. ": NPU peak <= all")
end

for _, arch in ipairs(npusim.archs()) do
  local r, err = npusim.run { arch = arch, graph = g }
  if not r and err:find("one chip of a card", 1, true) then -- a card: one chip of it
    r, err = npusim.run { arch = arch, graph = g, set = { ["card.spread"] = "one" } }
  end
  T.ok(r ~= nil, arch .. ": " .. tostring(err))
  if r then conserved(arch, r) end
end

-- the process-node rule: dynamic energy and static power linear in the node, area ^0.91
local a = assert(npusim.run { arch = "nv_small", graph = g, set = { ["energy.node_nm"] = 16 } })
local b = assert(npusim.run { arch = "nv_small", graph = g, set = { ["energy.node_nm"] = 8 } })
T.near(b.total.e_mac_uj / a.total.e_mac_uj, 0.5, 1e-9, "MAC energy at 8 nm")
T.near(b.total.npu_power_mw / a.total.npu_power_mw, 0.5, 1e-9, "NPU power at 8 nm")
T.near(b.total.area_mm2 / a.total.area_mm2, 0.5 ^ 0.91, 1e-9, "area at 8 nm")
T.eq(b.total.e_dram_uj, a.total.e_dram_uj, "DRAM energy does not scale with the node")
-- the DRAM type: HBM2 3.9 pJ/bit against LPDDR4 6
local h = assert(npusim.run { arch = "nv_small", graph = g, set = { ["energy.dram"] = "hbm2" } })
T.near(h.total.e_dram_uj / a.total.e_dram_uj, 3.9 / 6.0, 1e-9, "HBM2 against LPDDR4")
-- NVDLA declares its CBUF: the column counts the CDMA writes and CSC reads, within onchip_bytes
local cb = 0
for _, l in ipairs(a.layers) do
  T.ok(l.cbuf_bytes ~= nil and l.cbuf_bytes <= l.onchip_bytes, l.name .. ": cbuf_bytes")
  cb = cb + (l.cbuf_bytes or 0)
end
T.ok(cb > 0, "nv_small moves bytes through its CBUF")
-- the preset buffers (energy.buffers): RKNPU's CBUF and DaVinci's L1 and UB carry the traffic
-- of the units they name, each priced at its array's size; L0A/L0B/L0C are area only
local function col(r, name)
  local n = 0
  for _, l in ipairs(r.layers) do n = n + (l[name] or 0) end
  return n
end
local rk = assert(npusim.run { arch = "rk3566", graph = g })
T.ok(col(rk, "cbuf_bytes") > 0 and col(rk, "cbuf_bytes") == col(rk, "onchip_bytes"),
  "rk3566: all on-chip traffic goes through the CBUF")
local dv = assert(npusim.run { arch = "ascend310", graph = g })
T.ok(col(dv, "l1_bytes") > 0 and col(dv, "ub_bytes") > 0, "ascend310: L1 and UB traffic")
T.ok(col(dv, "l1_bytes") + col(dv, "ub_bytes") <= col(dv, "onchip_bytes"), "ascend310: within onchip")
T.eq(dv.layers[1].l0a_bytes, nil, "ascend310: L0A is area only (no column)")
-- one more CBUF bank of 32 KiB per core: area grows by exactly that SRAM at the node
local rk9 = assert(npusim.run { arch = "rk3566", graph = g, set = { cbuf_banks = 9 } })
local mm2_kib = 1.78 / 1024 * (22 / 16) ^ 0.91
T.near(rk9.total.area_mm2 - rk.total.area_mm2, 32 * mm2_kib, 1e-9, "rk3566: area of one bank")
-- unit patterns: '*' anywhere; the same CBUF named by exact names and by patterns (a core's
-- CNA, CORE, DPU and PPU units all move its CBUF traffic)
local ex = assert(npusim.run { arch = "rk3566", graph = g,
  set = { ["energy.buffers"] = "cbuf=cbuf_bank_kb*cbuf_banks*cores@cna0|core0|dpu0|ppu0" } })
local st = assert(npusim.run { arch = "rk3566", graph = g,
  set = { ["energy.buffers"] = "cbuf=cbuf_bank_kb*cbuf_banks*cores@*a0|*o*e0|d*0|pp*" } })
T.eq(ex.total.e_buf_uj, rk.total.e_buf_uj, "rk3566: core 0's units by their names")
T.eq(st.total.e_buf_uj, rk.total.e_buf_uj, "rk3566: core 0's units by patterns")
-- a bad entry is one clear error
for _, bad in ipairs { "cbuf=32*nope@core*", "cbuf=32@nounit*", "cbuf", "cbuf=0@core*", "=32@core*" } do
  local r, err = npusim.run { arch = "rk3566", graph = g, set = { ["energy.buffers"] = bad } }
  T.ok(r == nil and tostring(err):find("energy.buffers", 1, true), bad .. ": " .. tostring(err))
end
-- an RKNPU submission's kick (kick_writes MMIO writes per core) is counted in reg_writes: twice
-- the writes per kick add exactly one kick's worth per submission
local k1 = assert(npusim.run { arch = "rk3588", graph = g, set = { kick_writes = 4 } })
local k2 = assert(npusim.run { arch = "rk3588", graph = g, set = { kick_writes = 8 } })
T.ok(k1.total.reg_writes > 0, "rk3588: register writes counted")
T.eq(k2.total.reg_writes - k1.total.reg_writes, 4 * k1.total.irq_count,
  "rk3588: 4 more writes per kick, one kick per submission (one interrupt each)")
T.report()
