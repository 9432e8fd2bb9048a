-- Calibration entries for the RKNPU and DaVinci presets' parameters as calibrated before the
-- data files carried their own entries (format: the header of scripts/validate.lua). They name
-- rows of rknpu.lua and davinci.lua by id. When those files declare an entry for one of these
-- parameters, delete it here: validate.lua refuses a parameter fitted twice on one arch and
-- names both entries.
return {
 rows = {},
 calibration = {
  { name = "RKNPU per-task and per-register-command costs",
    params = { task_cycles = { lo = 10, hi = 100000 }, reg_cycles = { lo = 1, hi = 1000 } },
    archs = { "rk3588" },
    rows = { "rk3588.mobilenet_v2", "rk3588.resnet50" },
    source = "docs/models/rknpu.md: no figure exists for either cost (model defaults, assumption, " ..
             "shared by every rknpu preset). task_cycles: 10 cycles (a few pipeline stages) to 1e5 " ..
             "(100 us at 1 GHz, more than a whole layer of these networks takes on silicon, research " ..
             "§2.4); reg_cycles: 1 cycle (one 8-byte entry per AXI beat) to 1000 per entry. Bounds " ..
             "are sanity limits, wide on purpose, so that the data decide." },
  { name = "RK3566 per-core DMA rate",
    params = { dma_bytes = { lo = 0.5, hi = 8.448 } },
    archs = { "rk3566" },
    rows = { "rk3566.mobilenet_v2", "rk3566.resnet50" },
    source = "models/presets/rk3566.lua: no published figure for this NPU's DMA. 8.448 B/cycle " ..
             "is the whole DRAM peak at the 1 GHz NPU clock (32-bit LPDDR4 at 2112 MT/s), which " ..
             "one port cannot exceed; 0.5 B/cycle is far below what any AXI port of the family " ..
             "sustains (RK3588: 8)." },
 },
}
