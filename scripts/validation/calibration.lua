-- Calibration entries for the DaVinci presets' parameters (the RKNPU ones live in rknpu.lua),
-- as calibrated before the data files carried their own entries (format: the header of scripts/validate.lua). They name
-- rows of rknpu.lua and davinci.lua by id. When those files declare an entry for one of these
-- parameters, delete it here: validate.lua refuses a parameter fitted twice on one arch and
-- names both entries.
return {
 rows = {},
 calibration = {
  { name = "Ascend 310 DRAM peak and Task Scheduler launch cost",
    params = { ["dram.gbps"] = { lo = 10, hi = 68.3 }, ts_launch_us = { lo = 1, hi = 100 } },
    archs = { "ascend310" },
    rows = { "ascend310.resnet50", "ascend310.mobilenet_v2" },
    source = "research/davinci.md §3-§4.1: neither figure is published. dram.gbps is the peak " ..
             "(the engine applies dram.efficiency, 0.8, on top); one 310 has a 128-bit LPDDR4X " ..
             "interface (soc-facts.md), so at most 68.3 GB/s, that bus at 4266 MT/s, the fastest " ..
             "LPDDR4X grade (the Atlas 200 DK runs 3200 MT/s = 51.2 GB/s; the Atlas 300I's rate " ..
             "is unpublished); 10 GB/s is far below any configuration of it. ts_launch_us: 1 us " ..
             "(a doorbell and a completion on the dedicated TS CPU) to 100 us (more than the AI " ..
             "CPU's whole task switch, aicpu_launch_us = 60). ResNet-50 is DDR- and launch-bound, " ..
             "MobileNetV2 mostly launch-bound, so together they constrain both." },
 },
}
