-- shufflenet_v2_x1_0.lua — ShuffleNet V2 1.0x (Ma et al., "ShuffleNet V2: Practical Guidelines
-- for Efficient CNN Architecture Design", ECCV 2018, Table 5) as
-- torchvision.models.shufflenet_v2_x1_0.
--
-- Stem: conv 3x3/2 to 24 (no bias) + BN + ReLU, max pool 3x3/2 pad 1. Three stages of 4, 8, 4
-- units with 116, 232, 464 output channels (1.0x), then conv 1x1 to 1024 + BN + ReLU, the mean
-- over H and W (torchvision's x.mean([2, 3]), exported as ReduceMean) and Linear(1024 -> 1000).
-- Unit (torchvision InvertedResidual), with b = out / 2 channels per branch:
--   stride 2 (first unit of a stage): branch1 = depthwise 3x3/2 on the input + BN, 1x1 to b +
--     BN + ReLU; branch2 = 1x1 to b + BN + ReLU, depthwise 3x3/2 + BN, 1x1 + BN + ReLU;
--   stride 1: the input is split into two halves; branch2 (as above, stride 1) on the second,
--     the first passes through unchanged;
--   then concat(branch1 or first half, branch2) and the channel shuffle with 2 groups: reshape
--     (N, 2, out/2, H, W), transpose (0, 2, 1, 3, 4), reshape back — pure data movement.
-- All convs have no bias; every BN is kept as a layer (parameters as torchvision counts them).
--
-- Published figures: parameters from the torchvision model docs (IMAGENET1K_V1 weights,
-- exact): x0_5 1,366,792; x1_0 2,278,604; x1_5 3,503,624; x2_0 7,393,996. MACs from the
-- paper's Table 5 ("FLOPs" there are multiply-adds): 41 M, 146 M, 299 M, 591 M — ours are
-- 0.8-1.3 % below (40.5, 144.9, 295.8, 583.3 M; torchvision's two-digit GFLOPS 0.04, 0.14,
-- 0.30, 0.58 agree with ours), tolerance 1.5 %: the paper's counting tool is not published.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not),
-- width=0.5|1.0|1.5|2.0 (default 1.0: stage widths 48/96/192 + 1024, 116/232/464 + 1024,
-- 176/352/704 + 1024, 244/488/976 + 2048); the graph is then named shufflenet_v2_x<w>_<f>
-- (x0_5, x1_5, x2_0), and figures are returned for every width.
local npusim, args = ...
args = args or {}
local widths = {
  ["0.5"] = { "x0_5", { 48, 96, 192 }, 1024, 1366792, 0.041 },
  ["1.0"] = { "x1_0", { 116, 232, 464 }, 1024, 2278604, 0.146 },
  ["1.5"] = { "x1_5", { 176, 352, 704 }, 1024, 3503624, 0.299 },
  ["2.0"] = { "x2_0", { 244, 488, 976 }, 2048, 7393996, 0.591 },
}
local wv = widths[tostring(args.width or "1.0")] or widths[string.format("%.1f", tonumber(args.width) or -1)]
local me = "shufflenet_v2_" .. (wv and wv[1] or "x1_0") -- the graph's name, and the errors'
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "width" then
    error(me .. ": unknown argument '" .. tostring(k) .. "' (known: batch, dtype, width)")
  end
end
if not wv then error(me .. ": width must be 0.5, 1.0, 1.5 or 2.0, not '" .. tostring(args.width) .. "'") end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error(me .. ": batch must be a positive integer") end
local b = npusim.builder(me, { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

-- conv (no bias) + BN (+ ReLU when relu); g > 1 makes it depthwise
local function cbn(x, name, out, k, s, g, relu)
  x = b:conv(x, { out = out, k = k, s = s, p = k // 2, g = g, bias = 0, name = name })
  x = b:batchnorm(x, { name = name .. ".bn" })
  if relu then x = b:relu(x, { name = name .. ".relu" }) end
  return x
end

local function branch2(x, name, bf, s)
  local y = cbn(x, name .. ".0", bf, 1, 1, 1, true)
  y = cbn(y, name .. ".3", bf, 3, s, bf, false)
  return cbn(y, name .. ".5", bf, 1, 1, 1, true)
end

local x = cbn(b.input, "conv1", 24, 3, 2, 1, true)
x = b:maxpool(x, { k = 3, s = 2, p = 1, name = "maxpool" })
local cin, hw = 24, 56
for i, out in ipairs(wv[2]) do
  local bf = out // 2
  hw = hw // 2
  for j = 0, ({ 4, 8, 4 })[i] - 1 do
    local name = string.format("stage%d.%d", i + 1, j)
    local left, right
    if j == 0 then
      left = cbn(x, name .. ".branch1.0", cin, 3, 2, cin, false)
      left = cbn(left, name .. ".branch1.2", bf, 1, 1, 1, true)
      right = branch2(x, name .. ".branch2", bf, 2)
    else
      left, right = b:split(x, { axis = 1, sizes = { bf, bf }, name = name .. ".chunk" })
      right = branch2(right, name .. ".branch2", bf, 1)
    end
    local y = b:concat(left, right, { axis = 1, name = name .. ".cat" })
    -- channel shuffle, 2 groups
    y = b:reshape(y, { shape = { 0, 2, bf, hw, hw }, name = name .. ".shuffle.view" })
    y = b:transpose(y, { perm = { 0, 2, 1, 3, 4 }, name = name .. ".shuffle.transpose" })
    x = b:reshape(y, { shape = { 0, out, hw, hw }, name = name .. ".shuffle.flat" })
  end
  cin = out
end
x = cbn(x, "conv5", wv[3], 1, 1, 1, true)
x = b:reduce(x, { kind = "mean", axes = { 2, 3 }, keep = 0, name = "mean" })
x = b:gemm(x, { out = 1000, bias = 1, name = "fc" })
b:output(x)
return b, { macs = wv[5] * 1e9 * batch, params = wv[4], tol = 0.015,
            source = string.format("Ma et al. 2018 Table 5 (%.0f M multiply-adds); torchvision %s "
                                   .. "docs (%d params)", wv[5] * 1000, me, wv[4]) }
