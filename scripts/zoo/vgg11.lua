-- vgg11.lua — VGG-11 (Simonyan & Zisserman, ICLR 2015, Table 1 configuration A) as in
-- torchvision.models.vgg11 (no batchnorm): vgg16.lua with depth=11 (layers and choices there).
--
-- Published figures (torchvision model docs, VGG11_Weights.IMAGENET1K_V1): params 132,863,336 (exact),
-- 7.61 GFLOPS, which torchvision counts as multiply-accumulates, so 7.61 GMAC.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("vgg11: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("vgg11: batch must be a positive integer") end
local b = npusim.zoo("vgg16", { depth = 11, batch = batch, dtype = args.dtype })
return b, { macs = 7.61e9 * batch, params = 132863336,
            source = "Simonyan & Zisserman 2015 Table 1 (A); torchvision vgg11 docs (7.61 GFLOPS=GMAC, 132,863,336 params)",
            tol = 0.01 }
