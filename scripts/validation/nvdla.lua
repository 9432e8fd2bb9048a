-- NVDLA published figures (research/nvdla.md). Spreadsheet rows: NVIDIA's performance model
-- (nvdla/hw nvdlav1 perf/NVDLA_OpenSource_Performance.xlsx) re-implemented in the nvdla model
-- (fidelity=spreadsheet) on the workbook's ResNet-50 layer table; the Primer prints these fps
-- rounded to 2 or 3 digits, so the tolerance is half a unit of the last printed digit.
-- Detailed rows: measured systems, simulated with the preset of that system.
local sheet = "models/nvdla/graphs/resnet50_sheet.npg"
local function ss(c, k, banks, bank_kb, gbps)
  return { fidelity = "spreadsheet", mac_atomic_c = c, mac_atomic_k = k, cbuf_banks = banks,
           cbuf_bank_kb = bank_kb, ["dram.gbps"] = gbps, freq_mhz = 1000 }
end
local fam_primer = "NVDLA Primer (performance spreadsheet)"
local fam_power = "NVDLA Primer (power estimate, 16 nm)"
local fam_area = "NVDLA Primer (synthesis area, 16 nm)"
-- the Primer's 7 configurations: atomic C, atomic K, CBUF banks, KiB per bank, DRAM GB/s;
-- 16 nm area (mm2), average power (mW), what it is, peak power (mW) as printed
-- (research/nvdla.md §1.1)
local configs = {
  { "2048mac", 64, 32, 16, 32, 20, 3.3, 291, "2048 MACs, 512 KB, 20 GB/s", 766 },
  { "1024mac", 32, 32, 16, 16, 15, 1.8, 143, "1024 MACs, 256 KB, 15 GB/s", 375 },
  { "512mac", 32, 16, 16, 16, 10, 1.4, 80, "512 MACs, 256 KB, 10 GB/s", 210 },
  { "256mac", 32, 8, 16, 16, 5, 1.0, 48, "256 MACs, 256 KB, 5 GB/s", 135 },
  { "128mac", 16, 8, 16, 16, 2, 0.84, 31, "128 MACs, 256 KB, 2 GB/s", 82 },
  { "64mac", 8, 8, 32, 4, 1, 0.55, 21, "64 MACs, 128 KB, 1 GB/s", 55 },
  { "32mac", 8, 4, 32, 4, 0.5, 0.51, 17, "32 MACs, 128 KB, 0.5 GB/s", 45 },
}
local primer = "NVDLA Primer, 'Example Area and Performance with NVDLA' (int8 ResNet-50, 1 GHz)"
local data = {
 rows = {
  { id = "nvdla.primer_2048mac", family = fam_primer,
    arch = "nvdla", set = ss(64, 32, 16, 32, 20), graph = sheet, metric = "fps", published = 269,
    tol = 0.002, source = primer .. ": 2048 MACs, 512 KB, 20 GB/s" },
  { id = "nvdla.primer_1024mac", family = fam_primer,
    arch = "nvdla", set = ss(32, 32, 16, 16, 15), graph = sheet, metric = "fps", published = 153,
    tol = 0.004, source = primer .. ": 1024 MACs, 256 KB, 15 GB/s" },
  { id = "nvdla.primer_512mac", family = fam_primer,
    arch = "nvdla", set = ss(32, 16, 16, 16, 10), graph = sheet, metric = "fps", published = 93,
    tol = 0.006, source = primer .. ": 512 MACs, 256 KB, 10 GB/s" },
  { id = "nvdla.primer_256mac", family = fam_primer,
    arch = "nvdla", set = ss(32, 8, 16, 16, 5), graph = sheet, metric = "fps", published = 46,
    tol = 0.011, source = primer .. ": 256 MACs, 256 KB, 5 GB/s" },
  { id = "nvdla.primer_128mac", family = fam_primer,
    arch = "nvdla", set = ss(16, 8, 16, 16, 2), graph = sheet, metric = "fps", published = 20,
    tol = 0.025, source = primer .. ": 128 MACs, 256 KB, 2 GB/s" },
  { id = "nvdla.primer_64mac", family = fam_primer,
    arch = "nvdla", set = ss(8, 8, 32, 4, 1), graph = sheet, metric = "fps", published = 7.3,
    tol = 0.007, source = primer .. ": 64 MACs, 128 KB, 1 GB/s" },
  { id = "nvdla.primer_32mac", family = fam_primer,
    arch = "nvdla", set = ss(8, 4, 32, 4, 0.5), graph = sheet, metric = "fps", published = 3.6,
    tol = 0.015, source = primer .. ": 32 MACs, 128 KB, 0.5 GB/s (3.65 printed as 3.6)" },
  { id = "nvdla.sheet_resnet50_cycles", family = "NVDLA performance spreadsheet",
    arch = "nvdla", set = ss(64, 32, 16, 32, 10), graph = sheet, metric = "cycles",
    published = 7113691, tol = 0,
    source = "NVDLA_OpenSource_Performance.xlsx, ResNet50 sheet, stored configuration total" },
  { id = "nv_small_zynq.lenet", family = "ZYNQ-NVDLA thesis, Linux KMD/UMD",
    arch = "nv_small_zynq", graph = "models/nvdla/graphs/lenet_caffe.npg", metric = "ms",
    published = 11.2, tol = 0.2,
    source = "ZYNQ-NVDLA thesis (LeiWang1999/ZYNQ-NVDLA), nv_small @100 MHz on XC7Z045, " ..
             "Linux Cortex-A9 666 MHz host: 11197.6 us/image",
    note = "the KMD's dma-buf costs (kmd_read_cycles, kmd_addr_cycles) were calibrated on this row" },
 },
 calibration = {
  { name = "NVDLA area at 16 nm (per MAC, per MiB of CBUF, per byte/cycle of DRAM bandwidth, fixed)",
    params = { ["energy.area_mac_um2"] = { lo = 100, hi = 5000 },
               ["energy.area_sram_mm2_mb"] = { lo = 0.3, hi = 10 },
               ["energy.area_dma_mm2_bpc"] = { lo = 0.001, hi = 0.2 },
               ["energy.area_fixed_mm2"] = { lo = 0.01, hi = 1 } },
    archs = { "nvdla" },
    rows = { "nvdla.area_2048mac", "nvdla.area_1024mac", "nvdla.area_512mac", "nvdla.area_256mac",
             "nvdla.area_128mac", "nvdla.area_64mac", "nvdla.area_32mac" },
    source = "research/nvdla.md §1.1, the Primer's 16 nm synthesis area (with memories) of 7 " ..
             "configurations. Ranges: an int8 MAC with its pipeline is 100-5000 um2 at 16 nm; " ..
             "16 nm SRAM macros are 0.3-10 mm2/MiB (bit cell ~0.07 um2 plus periphery); the " ..
             "DMA/interface and the fixed part (CSB, SDP/PDP/CDP control) are bounded by the " ..
             "smallest configuration's whole 0.51 mm2." },
  { name = "NVDLA average power at 16 nm, 1 GHz (int8 MAC energy, MAC-array and per-mm2 static power)",
    params = { ["energy.pj_mac_int8"] = { lo = 0.04, hi = 0.4 },
               ["energy.mac_static_uw"] = { lo = 1, hi = 500 },
               ["energy.static_mw_mm2"] = { lo = 1, hi = 200 } },
    archs = { "nvdla" },
    rows = { "nvdla.power_2048mac", "nvdla.power_1024mac", "nvdla.power_512mac", "nvdla.power_256mac",
             "nvdla.power_128mac", "nvdla.power_64mac", "nvdla.power_32mac" },
    source = "research/nvdla.md §1.1, the Primer's average power (int8 ResNet-50, 16 nm, 1 GHz); " ..
             "compared with npu_power_mw (NPU alone: the Primer has no DRAM or host). Ranges: an " ..
             "int8 multiply-add is 0.23 pJ at 45 nm (Horowitz, ISSCC 2014), 0.08 pJ by the node " ..
             "rule at 16 nm: half to five times that; static power per MAC 1-500 uW and per " ..
             "mm2 1-200 mW (leakage plus clock tree of 16 nm logic). The Primer's average power " ..
             "is 0.38 x its peak on every row, whatever the MAC utilisation (0.43-0.70): its " ..
             "flow seems to scale a peak by one activity factor, which pushes the MAC energy " ..
             "to its lower bound (docs/energy.md)." },
  { name = "NVDLA Linux KMD per-operation costs (dma-buf descriptor read, surface address lookup)",
    params = { kmd_read_cycles = { lo = 1000, hi = 1000000 }, kmd_addr_cycles = { lo = 1000, hi = 1000000 } },
    archs = { "nv_small_zynq" },
    rows = { "nv_small_zynq.lenet" },
    source = "research/nvdla.md §5: the only measured small system. No figure exists for either " ..
             "cost; both are in host (Cortex-A9, 666 MHz) cycles. 1000 cycles (1.5 us) is less than " ..
             "one dma-buf get/begin_cpu_access/vmap/copy/put chain, 1e6 (1.5 ms) more than a tenth " ..
             "of the whole 11.2 ms image. One row cannot separate the two: the fit is a curve." },
 },
}
-- the power and area columns of the same table, one row each per configuration
for _, c in ipairs(configs) do
  local id, set = c[1], ss(c[2], c[3], c[4], c[5], c[6])
  table.insert(data.rows, { id = "nvdla.area_" .. id, family = fam_area, arch = "nvdla", set = set,
    graph = sheet, metric = "area_mm2", published = c[7], tol = 0.10,
    source = primer .. ": " .. c[9] .. ", 16 nm cell area" })
  table.insert(data.rows, { id = "nvdla.power_" .. id, family = fam_power, arch = "nvdla", set = set,
    graph = sheet, metric = "npu_power_mw", published = c[8], tol = 0.15,
    source = primer .. ": " .. c[9] .. ", average power at 16 nm" })
  table.insert(data.rows, { id = "nvdla.peak_" .. id, family = fam_power, arch = "nvdla", set = set,
    graph = sheet, metric = "npu_peak_power_mw", published = c[10], tol = 0.15,
    source = primer .. ": " .. c[9] .. ", peak power at 16 nm",
    note = "a check, fitted on nothing: npusim's peak is the busiest window of the per-layer " ..
           "power profile (docs/energy.md); the Primer does not say how it defines peak" })
end
return data
