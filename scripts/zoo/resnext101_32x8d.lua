-- resnext101_32x8d.lua — ResNeXt-101 32x8d (Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017)
-- as torchvision.models.resnext101_32x8d: resnet50.lua with depth=101,
-- groups=32, width_per_group=8 (the 3x3 conv of every bottleneck is 256 channels wide per 64
-- "planes", in 32 group(s); everything else is ResNet-101 "v1.5").
--
-- Published figures (torchvision model docs, IMAGENET1K_V1 weights): params 88,791,336 (exact),
-- 16.41 GFLOPS — torchvision's "GFLOPS" column counts multiply-accumulates, so 16.41 GMAC (rounded
-- to its digits, well inside the 1% tolerance).
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("resnext101_32x8d: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("resnext101_32x8d: batch must be a positive integer") end
local b = npusim.zoo("resnet50", { depth = 101, groups = 32, width_per_group = 8, name = "resnext101_32x8d",
                                   batch = batch, dtype = args.dtype })
return b, { macs = 16.41e9 * batch, params = 88791336,
            source = "Xie et al. 2017; torchvision resnext101_32x8d docs (16.41 GFLOPS=GMAC, 88,791,336 params)",
            tol = 0.01 }
