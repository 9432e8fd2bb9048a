-- alexnet.lua — AlexNet as in torchvision.models.alexnet, the single-GPU variant of
-- Krizhevsky et al. 2012 described in Krizhevsky, "One weird trick for parallelizing
-- convolutional neural networks" (2014): 64-192-384-256-256 conv channels, no grouped convs,
-- no local response normalisation, two 4096-wide fully connected layers.
--
-- Input 1x3x224x224: conv1 11x11 stride 4 pad 2 gives 55x55; three 3x3/2 max pools give 27, 13
-- and 6. torchvision's AdaptiveAvgPool2d((6,6)) is the identity at this input size and is left
-- out; dropout is a no-op at inference. Convs and FC layers have biases; no batchnorm.
--
-- Published figures (torchvision model docs, AlexNet_Weights.IMAGENET1K_V1):
--   params 61,100,840 (exact); 0.71 GFLOPS, which torchvision counts as multiply-accumulates,
--   so 0.71 GMAC — rounded to 2 significant digits (±0.7%), so the tolerance is 1.5%.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("alexnet: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("alexnet: batch must be a positive integer") end
local b = npusim.builder("alexnet", { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

local convs = { -- name, out, k, s, p, max pool after it
  { "features.0", 64, 11, 4, 2, true },
  { "features.3", 192, 5, 1, 2, true },
  { "features.6", 384, 3, 1, 1, false },
  { "features.8", 256, 3, 1, 1, false },
  { "features.10", 256, 3, 1, 1, true },
}
local x = b.input
for _, c in ipairs(convs) do
  x = b:conv(x, { out = c[2], k = c[3], s = c[4], p = c[5], bias = 1, act = "relu", name = c[1] })
  if c[6] then x = b:maxpool(x, { k = 3, s = 2, name = c[1] .. ".pool" }) end
end
x = b:flatten(x, { axis = 1, name = "flatten" })
x = b:gemm(x, { out = 4096, bias = 1, act = "relu", name = "classifier.1" })
x = b:gemm(x, { out = 4096, bias = 1, act = "relu", name = "classifier.4" })
x = b:gemm(x, { out = 1000, bias = 1, name = "classifier.6" })
b:output(x)
return b, { macs = 0.71e9 * batch, params = 61100840,
            source = "torchvision alexnet docs (0.71 GFLOPS=GMAC, 61,100,840 params); Krizhevsky 2014",
            tol = 0.015 }
