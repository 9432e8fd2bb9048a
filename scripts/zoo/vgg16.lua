-- vgg16.lua — VGG-16 (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale
-- Image Recognition", ICLR 2015, Table 1 configuration D) as in torchvision.models.vgg16 (no
-- batchnorm): thirteen 3x3 pad-1 convs with bias and ReLU in five stages of 64-128-256-512-512
-- channels, each stage closed by a 2x2/2 max pool, then FC 4096-4096-1000.
--
-- Input 1x3x224x224; the last pool gives 7x7, so torchvision's AdaptiveAvgPool2d((7,7)) is the
-- identity and is left out; dropout is a no-op at inference.
--
-- Published figures (torchvision model docs, VGG16_Weights.IMAGENET1K_V1):
--   params 138,357,544 (exact; the paper's Table 2 says 138 M);
--   15.47 GFLOPS, which torchvision counts as multiply-accumulates, so 15.47 GMAC.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not),
-- depth=11|13|16|19 (default 16): Table 1's configurations A, B, D and E, which differ only in
-- the convs per stage (1-1-2-2-2, 2-2-2-2-2, 2-2-3-3-3, 2-2-4-4-4); the graph is then named
-- vgg<depth> (torchvision vgg11, vgg13, vgg19; vgg11.lua and vgg19.lua call this script).
-- Figures are returned for depth 16 only.
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "depth" then
    error("vgg16: unknown argument '" .. tostring(k) .. "' (known: batch, depth, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("vgg16: batch must be a positive integer") end
local depth = math.tointeger(tonumber(args.depth or 16))
local per_stage = ({ [11] = { 1, 1, 2, 2, 2 }, [13] = { 2, 2, 2, 2, 2 }, [16] = { 2, 2, 3, 3, 3 },
                     [19] = { 2, 2, 4, 4, 4 } })[depth]
if not per_stage then
  error("vgg16: depth must be 11, 13, 16 or 19, got '" .. tostring(args.depth) .. "'")
end
local b = npusim.builder("vgg" .. depth, { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

local widths = { 64, 128, 256, 512, 512 }
local x = b.input
for i, c in ipairs(widths) do
  for j = 1, per_stage[i] do
    x = b:conv(x, { out = c, k = 3, s = 1, p = 1, bias = 1, act = "relu",
                    name = string.format("conv%d_%d", i, j) })
  end
  x = b:maxpool(x, { k = 2, s = 2, name = string.format("pool%d", i) })
end
x = b:flatten(x, { axis = 1, name = "flatten" })
x = b:gemm(x, { out = 4096, bias = 1, act = "relu", name = "fc6" })
x = b:gemm(x, { out = 4096, bias = 1, act = "relu", name = "fc7" })
x = b:gemm(x, { out = 1000, bias = 1, name = "fc8" })
b:output(x)
if depth ~= 16 then return b end
return b, { macs = 15.47e9 * batch, params = 138357544,
            source = "Simonyan & Zisserman 2015 Table 1 (D); torchvision vgg16 docs (15.47 GFLOPS=GMAC, 138,357,544 params)",
            tol = 0.01 }
