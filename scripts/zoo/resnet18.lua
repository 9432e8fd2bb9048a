-- resnet18.lua — ResNet-18 (He et al., "Deep Residual Learning for Image Recognition", CVPR
-- 2016, Table 1, 18-layer column) as implemented by torchvision.models.resnet18: basic blocks of
-- two 3x3 convs; the first block of stages 2-4 downsamples with stride 2 and a 1x1 stride-2
-- projection shortcut (option B of the paper).
--
-- Input 1x3x224x224. Every conv has no bias and is followed by a batchnorm (kept as a layer so
-- that parameter totals match torchvision: BN contributes gamma and beta, 2C each).
--
-- Published figures (torchvision model docs, ResNet18_Weights.IMAGENET1K_V1):
--   params 11,689,512 (exact); 1.81 GFLOPS, which torchvision counts as multiply-accumulates,
--   so 1.81 GMAC (3 significant digits, ±0.3%).
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not),
-- depth=18|34 (default 18): the basic-block ResNets of Table 1, which differ only in the number
-- of blocks per stage; the graph is then named resnet<depth>. resnet34.lua is depth=34 with its
-- own published figures; with depth=34 this script returns none.
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "depth" then
    error("resnet18: unknown argument '" .. tostring(k) .. "' (known: batch, depth, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("resnet18: batch must be a positive integer") end
local depth = math.tointeger(tonumber(args.depth or 18))
-- basic blocks in stages conv2_x .. conv5_x (He et al. Table 1)
local blocks = ({ [18] = { 2, 2, 2, 2 }, [34] = { 3, 4, 6, 3 } })[depth]
if not blocks then
  error("resnet18: depth must be 18 or 34 (resnet50 takes 50, 101 and 152), got '"
        .. tostring(args.depth) .. "'")
end
local b = npusim.builder("resnet" .. depth, { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

-- conv (no bias) + batchnorm (+ relu unless relu == false)
local function cbr(x, name, out, k, s, relu)
  x = b:conv(x, { out = out, k = k, s = s, p = k // 2, bias = 0, name = name })
  x = b:batchnorm(x, { name = name .. ".bn" })
  if relu ~= false then x = b:relu(x, { name = name .. ".relu" }) end
  return x
end

-- basic block: 3x3 (carries the stride), 3x3, residual add then relu
local function basic(x, name, width, stride, downsample)
  local y = cbr(x, name .. ".conv1", width, 3, stride)
  y = cbr(y, name .. ".conv2", width, 3, 1, false)
  local sc = x
  if downsample then sc = cbr(x, name .. ".downsample", width, 1, stride, false) end
  return b:add(y, sc, { name = name .. ".add", act = "relu" })
end

local x = cbr(b.input, "conv1", 64, 7, 2)
x = b:maxpool(x, { k = 3, s = 2, p = 1, name = "maxpool" })
local stages = { { 64, 1 }, { 128, 2 }, { 256, 2 }, { 512, 2 } } -- width, stride
for i, st in ipairs(stages) do
  for j = 1, blocks[i] do
    -- stage 1 keeps 64 channels and stride 1: no projection needed there
    x = basic(x, string.format("layer%d.%d", i, j - 1), st[1], j == 1 and st[2] or 1, j == 1 and i > 1)
  end
end
x = b:gavgpool(x, { name = "avgpool" })
x = b:flatten(x, { axis = 1, name = "flatten" })
x = b:gemm(x, { out = 1000, bias = 1, name = "fc" })
b:output(x)
if depth ~= 18 then return b end
return b, { macs = 1.81e9 * batch, params = 11689512,
            source = "He et al. 2016 Table 1; torchvision resnet18 docs (1.81 GFLOPS=GMAC, 11,689,512 params)",
            tol = 0.01 }
