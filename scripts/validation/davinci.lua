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
 calibration = {},
}
