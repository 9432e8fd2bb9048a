-- densenet121.lua — DenseNet-121 (Huang et al., "Densely Connected Convolutional Networks", CVPR
-- 2017, Table 1, DenseNet-BC with growth rate k = 32) as torchvision.models.densenet121.
--
-- Stem: conv 7x7/2 to 64 (no bias) + BN + ReLU, max pool 3x3/2 pad 1. Four dense blocks of
-- 6, 12, 24, 16 layers; each layer reads the concatenation of the block input and every earlier
-- layer's output (torchvision's `torch.cat(inputs, 1)`: one concat per layer, so the growing
-- feature map is re-read by each layer, as an exported graph does) and is pre-activation:
-- BN + ReLU + conv 1x1 to 4k = 128 (the bottleneck), BN + ReLU + conv 3x3 pad 1 to k = 32.
-- Between blocks a transition: BN + ReLU + conv 1x1 halving the channels + avg pool 2x2/2.
-- Head: BN + ReLU, global average pool, Linear(1024 -> 1000) with bias.
-- The BNs sit before their convs: a pass cannot fold them into the conv that produced their
-- input (it feeds a concat), so they stay as per-channel scale-and-shift layers, as a deployed
-- DenseNet runs them (or folds them forward into the next conv's input, which the core's
-- passes do not do).
--
-- Published figures (torchvision model docs, DenseNet121_Weights.IMAGENET1K_V1): params
-- 7,978,856 (exact), 2.83 GFLOPS = GMAC (torchvision counts multiply-accumulates).
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not),
-- depth=121|169|201 (default 121): the blocks of Table 1 (6-12-24-16, 6-12-32-32, 6-12-48-32);
-- the graph is then named densenet<depth>, and figures are returned for 121 only
-- (torchvision: densenet169 14,149,480 params, 3.36 GMAC; densenet201 20,013,928, 4.29 GMAC;
-- tests/lua/zoo_test.lua checks both).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "depth" then
    error("densenet121: unknown argument '" .. tostring(k) .. "' (known: batch, depth, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("densenet121: batch must be a positive integer") end
local depth = math.tointeger(tonumber(args.depth or 121))
local blocks = ({ [121] = { 6, 12, 24, 16 }, [169] = { 6, 12, 32, 32 }, [201] = { 6, 12, 48, 32 } })[depth]
if not blocks then
  error("densenet121: depth must be 121, 169 or 201, got '" .. tostring(args.depth) .. "'")
end
local growth, bn_size = 32, 4
local b = npusim.builder("densenet" .. depth, { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

local function bnrelu(x, name)
  return b:relu(b:batchnorm(x, { name = name }), { name = name .. ".relu" })
end

local x = b:conv(b.input, { out = 64, k = 7, s = 2, p = 3, bias = 0, name = "features.conv0" })
x = b:relu(b:batchnorm(x, { name = "features.norm0" }), { name = "features.relu0" })
x = b:maxpool(x, { k = 3, s = 2, p = 1, name = "features.pool0" })
local ch = 64
for i, n in ipairs(blocks) do
  local feats = { x }
  for j = 1, n do
    local name = string.format("features.denseblock%d.denselayer%d", i, j)
    local inp = feats[1]
    if #feats > 1 then
      local cat = { table.unpack(feats) }
      cat[#cat + 1] = { axis = 1, name = name .. ".cat" }
      inp = b:concat(table.unpack(cat))
    end
    local y = b:conv(bnrelu(inp, name .. ".norm1"),
                     { out = bn_size * growth, k = 1, bias = 0, name = name .. ".conv1" })
    y = b:conv(bnrelu(y, name .. ".norm2"), { out = growth, k = 3, p = 1, bias = 0, name = name .. ".conv2" })
    feats[#feats + 1] = y
  end
  feats[#feats + 1] = { axis = 1, name = string.format("features.denseblock%d.cat", i) }
  x = b:concat(table.unpack(feats))
  ch = ch + n * growth
  if i < #blocks then
    local name = string.format("features.transition%d", i)
    ch = ch // 2
    x = b:conv(bnrelu(x, name .. ".norm"), { out = ch, k = 1, bias = 0, name = name .. ".conv" })
    x = b:avgpool(x, { k = 2, s = 2, name = name .. ".pool" })
  end
end
x = bnrelu(x, "features.norm5")
x = b:gavgpool(x, { name = "avgpool" })
x = b:flatten(x, { axis = 1, name = "flatten" })
x = b:gemm(x, { out = 1000, bias = 1, name = "classifier" })
b:output(x)
if depth ~= 121 then return b end
return b, { macs = 2.83e9 * batch, params = 7978856,
            source = "Huang et al. 2017 Table 1 (DenseNet-BC, k=32); torchvision densenet121 docs (2.83 GFLOPS=GMAC, 7,978,856 params)",
            tol = 0.01 }
