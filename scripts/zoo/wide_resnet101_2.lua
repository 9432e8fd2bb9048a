-- wide_resnet101_2.lua — Wide ResNet-101-2 (Zagoruyko & Komodakis, "Wide Residual Networks", BMVC 2016, in torchvision's bottleneck form)
-- as torchvision.models.wide_resnet101_2: resnet50.lua with depth=101,
-- groups=1, width_per_group=128 (the 3x3 conv of every bottleneck is 128 channels wide per 64
-- "planes", in 1 group(s); everything else is ResNet-101 "v1.5").
--
-- Published figures (torchvision model docs, IMAGENET1K_V1 weights): params 126,886,696 (exact),
-- 22.75 GFLOPS — torchvision's "GFLOPS" column counts multiply-accumulates, so 22.75 GMAC (rounded
-- to its digits, well inside the 1% tolerance).
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("wide_resnet101_2: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("wide_resnet101_2: batch must be a positive integer") end
local b = npusim.zoo("resnet50", { depth = 101, groups = 1, width_per_group = 128, name = "wide_resnet101_2",
                                   batch = batch, dtype = args.dtype })
return b, { macs = 22.75e9 * batch, params = 126886696,
            source = "Zagoruyko & Komodakis 2016; torchvision wide_resnet101_2 docs (22.75 GFLOPS=GMAC, 126,886,696 params)",
            tol = 0.01 }
