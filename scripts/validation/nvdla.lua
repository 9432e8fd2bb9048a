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
local primer = "NVDLA Primer, 'Example Area and Performance with NVDLA' (int8 ResNet-50, 1 GHz)"
return {
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
