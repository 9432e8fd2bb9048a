-- DaVinci published figures, three measurement families (issue #14; research/davinci.md §4).
--
-- "modelzoo r0.2 TF ACL": Ascend/modelzoo branch r0.2, built-in/ACL/Official/cv/<Model>_for_ACL/
--   README.md, one Ascend 310, fp16, batch 1, "inference performance" = 1000 / avg(aclmdlExecute
--   time) with the Benchmark app's --useDvpp=1: DVPP decodes JPEGs into YUV420SP frames and AIPP
--   (fused into the first conv) converts them on the AI Core (research §4.1, §5).
-- "ModelZoo-PyTorch benchmark": Ascend/ModelZoo-PyTorch ACL_PyTorch/contrib/cv/classfication/
--   <Model>/README.md, the benchmark tool's per-chip "Interface throughputRate" (one Ascend 310 of
--   an Atlas 300I card; the README's card column is 4 chips, research §4.2), torchvision models
--   exported to ONNX and compiled by ATC in fp16, images/s. The input is a preprocessed binary
--   image fed as is (no DVPP, no AIPP) except for MobileNetV3-Large, compiled with AIPP on.
--   Batch rows are written as ms per batch run (published = batch × 1000 / images per second).
-- "HiSpark ModelZoo svp_acl": HiSpark ModelZoo (upstream commit
--   2cf81389663645d792feaa904a38c5322e5285a9) samples/built-in/classification/<Model>/README.md,
--   SDK SS928 V100R001C02SPC022, svp_acl, batch 1, average of 100 runs, A8W8, fps, on each of
--   the SS928V100's two engines (SVP_NNN: soc_version SS928V100; NNN: soc_version OPTG).
-- Tolerances are the issue's: 10 % at batch 1, 15 % for batched runs.
local r02 = "Ascend/modelzoo r0.2 built-in/ACL/Official/cv/"
local pt = "Ascend/ModelZoo-PyTorch ACL_PyTorch/contrib/cv/classfication/"
local ss = "HiSpark ModelZoo 2cf81389663645d792feaa904a38c5322e5285a9 samples/built-in/classification/"
local F_R02 = "modelzoo r0.2 TF ACL (DVPP+AIPP)"
local F_PT = "ModelZoo-PyTorch benchmark per chip"
local F_SS = "HiSpark ModelZoo svp_acl A8W8"

local rows = {
  { id = "ascend310.resnet50", family = F_R02, arch = "ascend310", graph = "resnet50",
    set = { dtype = "fp16", dvpp = 1 }, metric = "fps", published = 318, tol = 0.10,
    source = r02 .. "ResNet50_for_ACL README (research §4.1)" },
  { id = "ascend310.mobilenet_v2", family = F_R02, arch = "ascend310", graph = "mobilenet_v2",
    set = { dtype = "fp16", dvpp = 1 }, metric = "fps", published = 505, tol = 0.10,
    source = r02 .. "MobileNetV2_for_ACL README (research §4.1)" },
}

-- ModelZoo-PyTorch: { id suffix, graph, zoo args, batch, images/s, CANN, commit : line, README dir }
local pt_rows = {
  { "resnet18", "resnet18", nil, 1, 787.709, "5.0.1", "c9d3d30bc847d0acbd0528d7ad0f588189d50636 : 206", "ResNet18" },
  { "resnet18", "resnet18", nil, 4, 1103.24, "5.0.1", "c9d3d30bc847d0acbd0528d7ad0f588189d50636 : 215", "ResNet18" },
  { "resnet18", "resnet18", nil, 8, 1446.02, "5.0.1", "c9d3d30bc847d0acbd0528d7ad0f588189d50636 : 224", "ResNet18" },
  { "resnet18", "resnet18", nil, 16, 1509.64, "5.0.1", "c9d3d30bc847d0acbd0528d7ad0f588189d50636 : 233", "ResNet18" },
  { "resnet18", "resnet18", nil, 32, 1375.46, "5.0.1", "c9d3d30bc847d0acbd0528d7ad0f588189d50636 : 242", "ResNet18" },
  { "resnet34", "resnet34", nil, 1, 503.525, "5.0.1", "c9d3d30bc847d0acbd0528d7ad0f588189d50636 : 205", "ResNet34" },
  { "resnet34", "resnet34", nil, 4, 672.405, "5.0.1", "c9d3d30bc847d0acbd0528d7ad0f588189d50636 : 214", "ResNet34" },
  { "resnet34", "resnet34", nil, 8, 884.554, "5.0.1", "c9d3d30bc847d0acbd0528d7ad0f588189d50636 : 223", "ResNet34" },
  { "resnet34", "resnet34", nil, 16, 938.992, "5.0.1", "c9d3d30bc847d0acbd0528d7ad0f588189d50636 : 232", "ResNet34" },
  { "resnet34", "resnet34", nil, 32, 875.835, "5.0.1", "c9d3d30bc847d0acbd0528d7ad0f588189d50636 : 241", "ResNet34" },
  { "resnet152", "resnet50", "depth=152", 1, 180.131, "5.0.1", "6b7468e2d3596ca85f957ebeab6c8df929e5dc11 : 216", "ResNet152" },
  { "resnet152", "resnet50", "depth=152", 16, 291.04, "5.0.1", "6b7468e2d3596ca85f957ebeab6c8df929e5dc11 : 226", "ResNet152" },
  { "squeezenet1_1", "squeezenet1_1", nil, 1, 1147.43, "5.0.1", "05360171699bbe3bb1916bbafa84a445bd112e87 : 207", "SqueezeNet1_1" },
  { "squeezenet1_1", "squeezenet1_1", nil, 16, 2505.61, "5.0.1", "05360171699bbe3bb1916bbafa84a445bd112e87 : 216", "SqueezeNet1_1" },
  { "mobilenet_v3_large", "mobilenet_v3_large", nil, 1, 378.955, "5.0.2", "bd2458b1a70d9e8ebe337f85da3a8668dfb5ae7c : 222", "MobileNetV3_large" },
  { "mobilenet_v3_large", "mobilenet_v3_large", nil, 16, 945.665, "5.0.2", "bd2458b1a70d9e8ebe337f85da3a8668dfb5ae7c : 234", "MobileNetV3_large" },
}
for _, p in ipairs(pt_rows) do
  local name, graph, zargs, bs, ips, cann, at, dir = table.unpack(p)
  local args = "batch=" .. bs .. (zargs and ("," .. zargs) or "")
  local aipp = name == "mobilenet_v3_large" and "core" or "none"
  rows[#rows + 1] = {
    id = "ascend310." .. name .. ".bs" .. bs, family = F_PT, arch = "ascend310", graph = graph,
    args = args, set = { dtype = "fp16", aipp = aipp },
    metric = bs == 1 and "fps" or "ms",
    published = bs == 1 and ips or bs * 1000 / ips, tol = bs == 1 and 0.10 or 0.15,
    source = pt .. dir .. " README, CANN " .. cann .. ", commit " .. at,
    note = bs == 1 and nil or string.format("%g images/s at batch %d", ips, bs),
  }
end

-- SS928V100, batch 1, A8W8 (the presets' default dtype int8)
for _, p in ipairs({ { "ss928_svp", "resnet50", 334.22, "ResNet50" }, { "ss928_svp", "mobilenet_v2", 1278.63, "MobileNetV2" },
                     { "ss928_nnn", "resnet50", 133.10, "ResNet50" }, { "ss928_nnn", "mobilenet_v2", 311.80, "MobileNetV2" } }) do
  rows[#rows + 1] = {
    id = p[1] .. "." .. p[2], family = F_SS, arch = p[1], graph = p[2], metric = "fps",
    published = p[3], tol = 0.10,
    source = ss .. p[4] .. " README (" .. (p[1] == "ss928_svp" and "SVP_NNN, soc_version SS928V100" or "NNN, soc_version OPTG") .. ")",
  }
end

-- Calibration (scripts/validate.lua fits each entry on its rows, leave-one-out per row). Each
-- simulation of a batched ResNet costs up to a second, and every fit and leave-one-out refit
-- runs them many times: the Task Scheduler entry uses the batch-1 rows and the two cheapest
-- batch-16 rows; the other batch points are plain checks.
local calibration = {
  { name = "Ascend 310 Task Scheduler and sustained DRAM share",
    params = { ts_launch_us = { lo = 1, hi = 100 }, ts_sync_us = { lo = 0, hi = 50 },
               ["dram.efficiency"] = { lo = 0.5, hi = 1.0 } },
    archs = { "ascend310" },
    rows = { "ascend310.resnet18.bs1", "ascend310.resnet34.bs1", "ascend310.resnet152.bs1",
             "ascend310.squeezenet1_1.bs1", "ascend310.mobilenet_v3_large.bs1",
             "ascend310.resnet18.bs4", "ascend310.resnet34.bs8",
             "ascend310.resnet18.bs16", "ascend310.squeezenet1_1.bs16" },
    source = "None of the three is published (research/davinci.md §3, §4.1). ts_launch_us: 1 us (a " ..
             "doorbell on the dedicated TS CPU) to 100 us (more than the AI CPU's whole task switch); " ..
             "ts_sync_us: 0 to 50 us; dram.efficiency: the sustained share of the 51.2 GB/s peak of " ..
             "128-bit LPDDR4X-3200 (soc-facts §4), 0.5 to 1.0 (the peak itself). SqueezeNet at batch 1 " ..
             "is launch-bound (ts_launch_us), ResNet-34/152 at batch 1 pay the serial gap per kernel " ..
             "(ts_sync_us) and stream their weights (ResNet-152: 120 MB, dram.efficiency), batch 16 " ..
             "is Cube- and DRAM-bound, batch 4/8 read every weight once per AI Core (the batch split " ..
             "over the cores): together they separate the three. MobileNetV3-Large at batch 1 is " ..
             "launch-bound with its activation kernels. The other batch points are plain checks " ..
             "(cost of the fit); MobileNetV3-Large at batch 16 lacks a mechanism " ..
             "(docs/models/davinci.md)." },
  { name = "Ascend 310 DVPP tasks on the Task Scheduler (r0.2 family)",
    params = { dvpp_ts_us = { lo = 0, hi = 3000 } },
    archs = { "ascend310" },
    rows = { "ascend310.resnet50", "ascend310.mobilenet_v2" },
    source = "Only the modelzoo r0.2 rows run with DVPP decoding in the loop (dvpp=1); the other " ..
             "Ascend parameters come from the ModelZoo-PyTorch rows. 0 to 3 ms per image (the whole " ..
             "r0.2 ResNet-50 run is 3.14 ms). Not published (research §4.1)." },
  { name = "SS928V100 SVP_NNN launch cost and sustained DRAM share",
    params = { ts_launch_us = { lo = 0.5, hi = 100 }, ["dram.efficiency"] = { lo = 0.3, hi = 1.0 } },
    archs = { "ss928_svp" },
    rows = { "ss928_svp.resnet50", "ss928_svp.mobilenet_v2" },
    source = "Neither is published (soc-facts §1.1). The issue allows these two figures only; " ..
             "ResNet-50 streams 25 MB of int8 weights, MobileNetV2 is launch-bound. Two rows, two " ..
             "parameters: an exact fit with nothing left out (no honest LOO). Bounds: a TS doorbell " ..
             "to more than a layer; 0.3 to the whole 29.9 GB/s peak." },
  { name = "SS928V100 NNN launch cost and sustained DRAM share",
    params = { ts_launch_us = { lo = 0.5, hi = 200 }, ["dram.efficiency"] = { lo = 0.2, hi = 1.0 } },
    archs = { "ss928_nnn" },
    rows = { "ss928_nnn.resnet50", "ss928_nnn.mobilenet_v2" },
    source = "As for SVP_NNN: two HiSpark figures, two parameters (soc-facts §1.1, §1.3)." },
}

return { rows = rows, calibration = calibration }
