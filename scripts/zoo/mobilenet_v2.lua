-- mobilenet_v2.lua — MobileNetV2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear
-- Bottlenecks", CVPR 2018, Table 2) as in torchvision.models.mobilenet_v2 (width 1.0, 224x224).
--
-- Inverted residual block (t, c, n, s rows of Table 2): 1x1 expansion to t*C_in channels
-- (skipped when t = 1) + BN + ReLU6, 3x3 depthwise conv (stride s on the first block of a row)
-- + BN + ReLU6, 1x1 linear projection to c + BN; a residual add when stride is 1 and
-- C_in = c. Convs have no bias; every BN is a layer so parameters count as in torchvision.
--
-- Published figures (torchvision model docs, MobileNet_V2_Weights.IMAGENET1K_V1):
--   params 3,504,872 (exact); 0.30 GFLOPS, which torchvision counts as multiply-accumulates
--   (the paper's Table 3 gives 300 M multiply-adds). Two significant digits (±1.7%), so the
--   tolerance is 2%.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("mobilenet_v2: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("mobilenet_v2: batch must be a positive integer") end
local b = npusim.builder("mobilenet_v2", { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

-- conv (no bias) + BN (+ ReLU6 unless relu6 == false); g > 1 makes it depthwise
local function cbr(x, name, out, k, s, g, relu6)
  x = b:conv(x, { out = out, k = k, s = s, p = k // 2, g = g, bias = 0, name = name })
  x = b:batchnorm(x, { name = name .. ".bn" })
  if relu6 ~= false then x = b:relu6(x, { name = name .. ".relu6" }) end
  return x
end

local settings = { -- t (expansion), c (out channels), n (repeats), s (first stride)
  { 1, 16, 1, 1 }, { 6, 24, 2, 2 }, { 6, 32, 3, 2 }, { 6, 64, 4, 2 },
  { 6, 96, 3, 1 }, { 6, 160, 3, 2 }, { 6, 320, 1, 1 },
}
local x = cbr(b.input, "features.0", 32, 3, 2, 1)
local cin, idx = 32, 1
for _, st in ipairs(settings) do
  local t, c, n, s = st[1], st[2], st[3], st[4]
  for i = 1, n do
    local stride = (i == 1) and s or 1
    local name = "features." .. idx
    local hidden = cin * t
    local y = x
    if t ~= 1 then y = cbr(y, name .. ".expand", hidden, 1, 1, 1) end
    y = cbr(y, name .. ".dw", hidden, 3, stride, hidden)
    y = cbr(y, name .. ".project", c, 1, 1, 1, false)
    if stride == 1 and cin == c then y = b:add(y, x, { name = name .. ".add" }) end
    x, cin, idx = y, c, idx + 1
  end
end
x = cbr(x, "features.18", 1280, 1, 1, 1)
x = b:gavgpool(x, { name = "avgpool" })
x = b:flatten(x, { axis = 1, name = "flatten" })
x = b:gemm(x, { out = 1000, bias = 1, name = "classifier" })
b:output(x)
return b, { macs = 0.30e9 * batch, params = 3504872,
            source = "Sandler et al. 2018 Tables 2-3; torchvision mobilenet_v2 docs (0.30 GFLOPS=GMAC, 3,504,872 params)",
            tol = 0.02 }
