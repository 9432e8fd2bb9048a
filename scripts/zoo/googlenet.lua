-- googlenet.lua — GoogLeNet / Inception v1 (Szegedy et al., "Going Deeper with Convolutions",
-- CVPR 2015, Table 1) as in torchvision.models.googlenet, inference graph (the two auxiliary
-- classifiers exist only in training and are left out, as torchvision drops them when loading
-- the pretrained weights).
--
-- torchvision differs from the paper in two ways that change the counts, and we follow it so
-- that the exact parameter count can be checked:
--   * every conv is BasicConv2d = conv without bias + batchnorm + ReLU (the paper has no BN);
--   * the "5x5" branch of each Inception module uses a 3x3 conv (a known quirk kept in
--     torchvision for weight compatibility; see the comment in torchvision/models/googlenet.py).
-- Max pools use ceil mode, as in torchvision (224 -> 112 -> 56 -> 28 -> 14 -> 7).
-- Local response normalisation of the paper is absent in torchvision and here.
--
-- Published figures (torchvision model docs, GoogLeNet_Weights.IMAGENET1K_V1):
--   params 6,624,904 (exact); 1.5 GFLOPS, which torchvision counts as multiply-accumulates (the
--   paper's Table 1 also sums to about 1.5 G multiply-adds). Two significant digits (±3.3%), so
--   the tolerance is 3.5%.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("googlenet: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("googlenet: batch must be a positive integer") end
local b = npusim.builder("googlenet", { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

local function basic(x, name, out, k, s)
  x = b:conv(x, { out = out, k = k, s = s or 1, p = k // 2, bias = 0, name = name })
  x = b:batchnorm(x, { name = name .. ".bn" })
  return b:relu(x, { name = name .. ".relu" })
end

-- Inception module: four parallel branches concatenated on channels.
local function inception(x, name, c1, c3r, c3, c5r, c5, pp)
  local b1 = basic(x, name .. ".branch1", c1, 1)
  local b2 = basic(basic(x, name .. ".branch2.0", c3r, 1), name .. ".branch2.1", c3, 3)
  local b3 = basic(basic(x, name .. ".branch3.0", c5r, 1), name .. ".branch3.1", c5, 3)
  local p = b:maxpool(x, { k = 3, s = 1, p = 1, ceil = 1, name = name .. ".branch4.pool" })
  local b4 = basic(p, name .. ".branch4.1", pp, 1)
  return b:concat(b1, b2, b3, b4, { axis = 1, name = name .. ".concat" })
end

local x = basic(b.input, "conv1", 64, 7, 2)
x = b:maxpool(x, { k = 3, s = 2, ceil = 1, name = "maxpool1" })
x = basic(x, "conv2", 64, 1)
x = basic(x, "conv3", 192, 3)
x = b:maxpool(x, { k = 3, s = 2, ceil = 1, name = "maxpool2" })
-- name, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj (paper Table 1)
local modules = {
  { "inception3a", 64, 96, 128, 16, 32, 32 }, { "inception3b", 128, 128, 192, 32, 96, 64 }, "maxpool3",
  { "inception4a", 192, 96, 208, 16, 48, 64 }, { "inception4b", 160, 112, 224, 24, 64, 64 },
  { "inception4c", 128, 128, 256, 24, 64, 64 }, { "inception4d", 112, 144, 288, 32, 64, 64 },
  { "inception4e", 256, 160, 320, 32, 128, 128 }, "maxpool4",
  { "inception5a", 256, 160, 320, 32, 128, 128 }, { "inception5b", 384, 192, 384, 48, 128, 128 },
}
for _, m in ipairs(modules) do
  if m == "maxpool3" then
    x = b:maxpool(x, { k = 3, s = 2, ceil = 1, name = m })
  elseif m == "maxpool4" then
    x = b:maxpool(x, { k = 2, s = 2, ceil = 1, name = m })
  else
    x = inception(x, table.unpack(m))
  end
end
x = b:gavgpool(x, { name = "avgpool" })
x = b:flatten(x, { axis = 1, name = "flatten" })
x = b:gemm(x, { out = 1000, bias = 1, name = "fc" })
b:output(x)
return b, { macs = 1.5e9 * batch, params = 6624904,
            source = "Szegedy et al. 2015 Table 1; torchvision googlenet docs (1.5 GFLOPS=GMAC, 6,624,904 params)",
            tol = 0.035 }
