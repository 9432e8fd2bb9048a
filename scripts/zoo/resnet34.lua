-- resnet34.lua — ResNet-34 (He et al., "Deep Residual Learning for Image Recognition", CVPR
-- 2016, Table 1, 34-layer column) as implemented by torchvision.models.resnet34: basic blocks of
-- two 3x3 convs; the first block of stages 2-4 downsamples with stride 2 and a 1x1 stride-2
-- projection shortcut (option B of the paper).
--
-- Input 1x3x224x224. Every conv has no bias and is followed by a batchnorm (kept as a layer so
-- that parameter totals match torchvision: BN contributes gamma and beta, 2C each).
--
-- Published figures (torchvision model docs, ResNet34_Weights.IMAGENET1K_V1):
--   params 21,797,672 (exact); 3.66 GFLOPS, which torchvision counts as multiply-accumulates,
--   so 3.66 GMAC (3 significant digits, ±0.14%).
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("resnet34: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("resnet34: batch must be a positive integer") end
-- the layers are resnet18.lua's with 3, 4, 6, 3 basic blocks per stage (Table 1)
local b = npusim.zoo("resnet18", { depth = 34, batch = batch, dtype = args.dtype })
return b, { macs = 3.66e9 * batch, params = 21797672,
            source = "He et al. 2016 Table 1; torchvision resnet34 docs (3.66 GFLOPS=GMAC, 21,797,672 params)",
            tol = 0.01 }
