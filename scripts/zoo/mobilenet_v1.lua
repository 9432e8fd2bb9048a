-- mobilenet_v1.lua — MobileNet v1 1.0-224 (Howard et al., "MobileNets: Efficient Convolutional
-- Neural Networks for Mobile Vision Applications", 2017, Table 1). Not in torchvision; the
-- reference is the paper itself (and the TF-Slim/Keras implementations that follow it).
--
-- A 3x3 stride-2 conv to 32 channels, then 13 depthwise-separable blocks (3x3 depthwise + BN +
-- ReLU, 1x1 pointwise + BN + ReLU), global average pool, FC 1024->1000, softmax. Convs have no
-- bias (each is followed by BN, kept as a layer). Table 1 prints the 13th depthwise conv as
-- stride 2, but its input and output are both 7x7: it is stride 1 in every implementation and
-- here. Padding is symmetric (p=1); TF "SAME" pads stride-2 convs asymmetrically, which gives
-- the same output sizes and therefore the same MACs.
--
-- Published figures (paper Table 8 / Table 4): 569 million multiply-adds and 4.2 million
-- parameters. The paper's parameter count is rounded to 2 significant digits (±1.2%) and does not
-- say whether BN's gamma/beta are included (they add 21,888 here); tolerance 1.5%.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("mobilenet_v1: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("mobilenet_v1: batch must be a positive integer") end
local b = npusim.builder("mobilenet_v1", { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

local function cbr(x, name, out, k, s, g)
  x = b:conv(x, { out = out, k = k, s = s, p = k // 2, g = g, bias = 0, name = name })
  x = b:batchnorm(x, { name = name .. ".bn" })
  return b:relu(x, { name = name .. ".relu" })
end

local blocks = { -- pointwise output channels, depthwise stride
  { 64, 1 }, { 128, 2 }, { 128, 1 }, { 256, 2 }, { 256, 1 }, { 512, 2 },
  { 512, 1 }, { 512, 1 }, { 512, 1 }, { 512, 1 }, { 512, 1 }, { 1024, 2 }, { 1024, 1 },
}
local x = cbr(b.input, "conv0", 32, 3, 2, 1)
local cin = 32
for i, blk in ipairs(blocks) do
  x = cbr(x, "conv" .. i .. ".dw", cin, 3, blk[2], cin)
  x = cbr(x, "conv" .. i .. ".pw", blk[1], 1, 1, 1)
  cin = blk[1]
end
x = b:gavgpool(x, { name = "avgpool" })
x = b:flatten(x, { axis = 1, name = "flatten" })
x = b:gemm(x, { out = 1000, bias = 1, name = "fc" })
x = b:softmax(x, { axis = 1, name = "softmax" })
b:output(x)
return b, { macs = 569e6 * batch, params = 4.2e6,
            source = "Howard et al. 2017 Tables 1 and 8 (569 M mult-adds, 4.2 M params)",
            tol = 0.015 }
