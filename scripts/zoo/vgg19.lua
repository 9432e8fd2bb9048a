-- vgg19.lua — VGG-19 (Simonyan & Zisserman, ICLR 2015, Table 1 configuration E) as in
-- torchvision.models.vgg19 (no batchnorm): vgg16.lua with depth=19 (layers and choices there).
--
-- Published figures (torchvision model docs, VGG19_Weights.IMAGENET1K_V1): params 143,667,240 (exact),
-- 19.63 GFLOPS, which torchvision counts as multiply-accumulates, so 19.63 GMAC.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("vgg19: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("vgg19: batch must be a positive integer") end
local b = npusim.zoo("vgg16", { depth = 19, batch = batch, dtype = args.dtype })
return b, { macs = 19.63e9 * batch, params = 143667240,
            source = "Simonyan & Zisserman 2015 Table 1 (E); torchvision vgg19 docs (19.63 GFLOPS=GMAC, 143,667,240 params)",
            tol = 0.01 }
