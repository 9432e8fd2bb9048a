-- DaVinci published figures (research/davinci.md §4.1): Ascend/modelzoo branch r0.2,
-- built-in/ACL/Official/cv/<Model>_for_ACL/README.md, one Ascend 310, fp16, batch 1,
-- "inference performance" = 1000 / avg(aclmdlExecute time), AIPP inserted, DVPP decode.
-- The issue (#7) checks both within 15 %. Further figures are kept aside for blind validation.
local zoo = "Ascend/modelzoo r0.2 built-in/ACL/Official/cv/"
local r02 = "Ascend/modelzoo r0.2 ACL benchmark (DVPP decode)"
return {
 rows = {
  { id = "ascend310.resnet50", family = r02,
    arch = "ascend310", graph = "resnet50", set = { dtype = "fp16" }, metric = "fps",
    published = 318, tol = 0.15, source = zoo .. "ResNet50_for_ACL README (research §4.1)" },
  { id = "ascend310.mobilenet_v2", family = r02,
    arch = "ascend310", graph = "mobilenet_v2", set = { dtype = "fp16" }, metric = "fps",
    published = 505, tol = 0.15, source = zoo .. "MobileNetV2_for_ACL README (research §4.1)" },
 },
 calibration = {
  { name = "Ascend 310 sustained DRAM rate and Task Scheduler launch cost",
    params = { ["dram.gbps"] = { lo = 10, hi = 68.3 }, ts_launch_us = { lo = 1, hi = 100 } },
    archs = { "ascend310" },
    rows = { "ascend310.resnet50", "ascend310.mobilenet_v2" },
    source = "research/davinci.md §3-§4.1: neither figure is published. dram.gbps: one 310 has a " ..
             "128-bit LPDDR4X interface (soc-facts.md); 68.3 GB/s is that bus at 4266 MT/s, the " ..
             "fastest LPDDR4X grade (the Atlas 200 DK runs 3200 MT/s = 51.2 GB/s, the Atlas 300I's " ..
             "rate is unpublished); 10 GB/s is far below any configuration of it. ts_launch_us: " ..
             "1 us (a doorbell and a completion on the dedicated TS CPU) to 100 us (more than the " ..
             "AI CPU's whole task switch, aicpu_launch_us = 60). The ResNet-50 row is DDR- and " ..
             "launch-bound, MobileNetV2 mostly launch-bound, so together they pin both." },
 },
}
