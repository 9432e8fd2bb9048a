-- wide_resnet50_2.lua — Wide ResNet-50-2 (Zagoruyko & Komodakis, "Wide Residual Networks", BMVC 2016, in torchvision's bottleneck form)
-- as torchvision.models.wide_resnet50_2: resnet50.lua with depth=50,
-- groups=1, width_per_group=128 (the 3x3 conv of every bottleneck is 128 channels wide per 64
-- "planes", in 1 group(s); everything else is ResNet-50 "v1.5").
--
-- Published figures (torchvision model docs, IMAGENET1K_V1 weights): params 68,883,240 (exact),
-- 11.40 GFLOPS — torchvision's "GFLOPS" column counts multiply-accumulates, so 11.40 GMAC (rounded
-- to its digits, well inside the 1% tolerance).
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("wide_resnet50_2: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("wide_resnet50_2: batch must be a positive integer") end
local b = npusim.zoo("resnet50", { depth = 50, groups = 1, width_per_group = 128, name = "wide_resnet50_2",
                                   batch = batch, dtype = args.dtype })
return b, { macs = 11.40e9 * batch, params = 68883240,
            source = "Zagoruyko & Komodakis 2016; torchvision wide_resnet50_2 docs (11.40 GFLOPS=GMAC, 68,883,240 params)",
            tol = 0.01 }
