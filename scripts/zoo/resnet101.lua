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
local b = npusim.builder("resnet101", { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

-- conv (no bias) + batchnorm (+ relu unless relu == false)
local function cbr(x, name, out, k, s, relu)
  x = b:conv(x, { out = out, k = k, s = s, p = k // 2, bias = 0, name = name })
  x = b:batchnorm(x, { name = name .. ".bn" })
  if relu ~= false then x = b:relu(x, { name = name .. ".relu" }) end
  return x
end

-- bottleneck: 1x1 reduce, 3x3 (carries the stride), 1x1 expand x4, residual add then relu
local function bottleneck(x, name, width, stride, downsample)
  local y = cbr(x, name .. ".conv1", width, 1, 1)
  y = cbr(y, name .. ".conv2", width, 3, stride)
  y = cbr(y, name .. ".conv3", width * 4, 1, 1, false)
  local sc = x
  if downsample then sc = cbr(x, name .. ".downsample", width * 4, 1, stride, false) end
  return b:add(y, sc, { name = name .. ".add", act = "relu" })
end

local x = cbr(b.input, "conv1", 64, 7, 2)
x = b:maxpool(x, { k = 3, s = 2, p = 1, name = "maxpool" })
local stages = { { 64, 3, 1 }, { 128, 4, 2 }, { 256, 23, 2 }, { 512, 3, 2 } } -- width, blocks, stride
for i, st in ipairs(stages) do
  for j = 1, st[2] do
    x = bottleneck(x, string.format("layer%d.%d", i, j - 1), st[1], j == 1 and st[3] or 1, j == 1)
  end
end
x = b:gavgpool(x, { name = "avgpool" })
x = b:flatten(x, { axis = 1, name = "flatten" })
x = b:gemm(x, { out = 1000, bias = 1, name = "fc" })
b:output(x)
return b, { macs = 7.80e9 * batch, params = 44549160,
            source = "He et al. 2016 Table 1; torchvision resnet101 docs (7.80 GFLOPS=GMAC, 44,549,160 params)",
            tol = 0.01 }
