-- resnet50.lua — ResNet-50 (He et al., "Deep Residual Learning for Image Recognition", CVPR
-- 2016, Table 1, 50-layer column) as implemented by torchvision.models.resnet50 ("v1.5":
-- the stride-2 of a downsampling bottleneck sits on the 3x3 conv, not on the first 1x1).
--
-- Input 1x3x224x224. Every conv has no bias and is followed by a batchnorm (kept as a layer so
-- that parameter totals match torchvision: BN contributes gamma and beta, 2C each; the core's
-- passes fold it into the conv afterwards without changing the count).
--
-- Published figures (torchvision model docs, ResNet50_Weights.IMAGENET1K_V1):
--   params 25,557,032 (exact count from the reference implementation)
--   4.09 GFLOPS — torchvision's "GFLOPS" column counts multiply-accumulates, so 4.09 GMAC;
--   rounded to 3 significant digits (±0.12%), well inside the 1% tolerance.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not),
-- depth=50|101|152 (default 50): the deeper bottleneck ResNets of Table 1, which differ only in
-- the number of blocks per stage; the graph is then named resnet<depth>. resnet101.lua is
-- depth=101 with its own published figures; with depth other than 50 this script returns none
-- (torchvision's ResNet-152: 60,192,808 params, 11.51 GMAC; tests/lua/zoo_test.lua checks it).
-- groups=G, width_per_group=W (defaults 1, 64): torchvision's Bottleneck has a 3x3 conv of
-- width = int(planes * W / 64) * G channels in G groups, the only change that makes ResNeXt
-- (Xie et al. 2017: resnext50_32x4d is G=32, W=4) and Wide ResNet (Zagoruyko & Komodakis 2016:
-- wide_resnet50_2 is W=128) out of ResNet; conv1 and conv3 take that width too.
-- name= (default resnet<depth>): the graph's name (resnext50_32x4d.lua ... pass theirs).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "depth" and k ~= "groups" and k ~= "width_per_group"
     and k ~= "name" then
    error("resnet50: unknown argument '" .. tostring(k)
          .. "' (known: batch, depth, dtype, groups, width_per_group, name)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("resnet50: batch must be a positive integer") end
local depth = math.tointeger(tonumber(args.depth or 50))
-- bottlenecks in stages conv2_x .. conv5_x (He et al. Table 1)
local blocks = ({ [50] = { 3, 4, 6, 3 }, [101] = { 3, 4, 23, 3 }, [152] = { 3, 8, 36, 3 } })[depth]
if not blocks then
  error("resnet50: depth must be 50, 101 or 152 (resnet18 takes 18 and 34), got '"
        .. tostring(args.depth) .. "'")
end
local groups = math.tointeger(tonumber(args.groups or 1))
local wpg = math.tointeger(tonumber(args.width_per_group or 64))
if not groups or groups < 1 or not wpg or wpg < 1 then
  error("resnet50: groups and width_per_group must be positive integers")
end
local b = npusim.builder(args.name or ("resnet" .. depth), { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

-- conv (no bias) + batchnorm (+ relu unless relu == false)
local function cbr(x, name, out, k, s, relu, g)
  x = b:conv(x, { out = out, k = k, s = s, p = k // 2, g = g, bias = 0, name = name })
  x = b:batchnorm(x, { name = name .. ".bn" })
  if relu ~= false then x = b:relu(x, { name = name .. ".relu" }) end
  return x
end

-- bottleneck: 1x1 reduce, 3x3 (carries the stride; grouped for ResNeXt), 1x1 expand to
-- planes x 4, residual add then relu
local function bottleneck(x, name, planes, stride, downsample)
  local width = planes * wpg // 64 * groups
  local y = cbr(x, name .. ".conv1", width, 1, 1)
  y = cbr(y, name .. ".conv2", width, 3, stride, nil, groups)
  y = cbr(y, name .. ".conv3", planes * 4, 1, 1, false)
  local sc = x
  if downsample then sc = cbr(x, name .. ".downsample", planes * 4, 1, stride, false) end
  return b:add(y, sc, { name = name .. ".add", act = "relu" })
end

local x = cbr(b.input, "conv1", 64, 7, 2)
x = b:maxpool(x, { k = 3, s = 2, p = 1, name = "maxpool" })
local stages = { { 64, 1 }, { 128, 2 }, { 256, 2 }, { 512, 2 } } -- width, stride
for i, st in ipairs(stages) do
  for j = 1, blocks[i] do
    x = bottleneck(x, string.format("layer%d.%d", i, j - 1), st[1], j == 1 and st[2] or 1, j == 1)
  end
end
x = b:gavgpool(x, { name = "avgpool" })
x = b:flatten(x, { axis = 1, name = "flatten" })
x = b:gemm(x, { out = 1000, bias = 1, name = "fc" })
b:output(x)
if depth ~= 50 or groups ~= 1 or wpg ~= 64 then return b end
return b, { macs = 4.09e9 * batch, params = 25557032,
            source = "He et al. 2016 Table 1; torchvision resnet50 docs (4.09 GFLOPS=GMAC, 25,557,032 params)",
            tol = 0.01 }
