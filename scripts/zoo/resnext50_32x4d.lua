-- resnext50_32x4d.lua — ResNeXt-50 32x4d (Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017, Table 1)
-- as torchvision.models.resnext50_32x4d: resnet50.lua with depth=50,
-- groups=32, width_per_group=4 (the 3x3 conv of every bottleneck is 128 channels wide per 64
-- "planes", in 32 group(s); everything else is ResNet-50 "v1.5").
--
-- Published figures (torchvision model docs, IMAGENET1K_V1 weights): params 25,028,904 (exact),
-- 4.23 GFLOPS — torchvision's "GFLOPS" column counts multiply-accumulates, so 4.23 GMAC (rounded
-- to its digits, well inside the 1% tolerance).
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("resnext50_32x4d: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("resnext50_32x4d: batch must be a positive integer") end
local b = npusim.zoo("resnet50", { depth = 50, groups = 32, width_per_group = 4, name = "resnext50_32x4d",
                                   batch = batch, dtype = args.dtype })
return b, { macs = 4.23e9 * batch, params = 25028904,
            source = "Xie et al. 2017 Table 1; torchvision resnext50_32x4d docs (4.23 GFLOPS=GMAC, 25,028,904 params)",
            tol = 0.01 }
