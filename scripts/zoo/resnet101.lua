-- resnet101.lua — ResNet-101 (He et al., "Deep Residual Learning for Image Recognition", CVPR
-- 2016, Table 1, 101-layer column) as implemented by torchvision.models.resnet101 ("v1.5":
-- the stride-2 of a downsampling bottleneck sits on the 3x3 conv, not on the first 1x1).
--
-- Input 1x3x224x224. Every conv has no bias and is followed by a batchnorm (kept as a layer so
-- that parameter totals match torchvision: BN contributes gamma and beta, 2C each; the core's
-- passes fold it into the conv afterwards without changing the count).
--
-- Published figures (torchvision model docs, ResNet101_Weights.IMAGENET1K_V1):
--   params 44,549,160 (exact count from the reference implementation)
--   7.80 GFLOPS — torchvision's "GFLOPS" column counts multiply-accumulates, so 7.80 GMAC;
--   rounded to 3 significant digits (±0.06%), well inside the 1% tolerance.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("resnet101: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("resnet101: batch must be a positive integer") end
-- the layers are resnet50.lua's with 3, 4, 23, 3 bottlenecks per stage (Table 1)
local b = npusim.zoo("resnet50", { depth = 101, batch = batch, dtype = args.dtype })
return b, { macs = 7.80e9 * batch, params = 44549160,
            source = "He et al. 2016 Table 1; torchvision resnet101 docs (7.80 GFLOPS=GMAC, 44,549,160 params)",
            tol = 0.01 }
