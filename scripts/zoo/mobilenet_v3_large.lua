-- mobilenet_v3_large.lua — MobileNetV3-Large (Howard et al., "Searching for MobileNetV3", ICCV
-- 2019, Table 1) as in torchvision.models.mobilenet_v3_large (width 1.0, 224x224).
--
-- Block (one row of Table 1: kernel, expanded width, out, SE, NL, stride): 1x1 expansion + BN +
-- NL (skipped when the expanded width equals the input width), kxk depthwise + BN + NL, then for
-- SE rows squeeze-and-excitation (global average pool, 1x1 conv to make_divisible(exp/4, 8)
-- with bias + ReLU, 1x1 conv back with bias + hardsigmoid, channel-wise multiply), 1x1 linear
-- projection + BN; a residual add when stride is 1 and input width = output width.
-- NL is ReLU (RE) or hardswish (HS). Stem conv 3x3/2 to 16 + BN + HS; head 1x1 conv to 960 +
-- BN + HS, global average pool, Linear 960->1280 + HS, (dropout), Linear 1280->1000.
--
-- Published figures (torchvision model docs, MobileNet_V3_Large_Weights.IMAGENET1K_V1):
--   params 5,483,032 (exact); 0.22 GFLOPS, which torchvision counts as multiply-accumulates
--   (the paper's Table 3: 219 M multiply-adds). The paper's figure has 3 significant digits.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not),
-- variant=large|small (default large): MobileNetV3-Small is Table 2 in the same block form —
-- stem to 16, eleven blocks, head 1x1 conv to 576 + HS, Linear 576->1024 + HS, Linear
-- 1024->1000 (torchvision mobilenet_v3_small: 2,542,856 params, 0.06 GFLOPS; Table 4: 56 M
-- multiply-adds). The graph is then named mobilenet_v3_small; mobilenet_v3_small.lua calls this.
local npusim, args = ...
args = args or {}
local variant = args.variant or "large"
local me = "mobilenet_v3_" .. tostring(variant) -- the graph's name, and the errors'
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "variant" then
    error(me .. ": unknown argument '" .. tostring(k) .. "' (known: batch, dtype, variant)")
  end
end
if variant ~= "large" and variant ~= "small" then
  error(me .. ": variant must be large or small")
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error(me .. ": batch must be a positive integer") end
local b = npusim.builder(me,
                         { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

-- conv (no bias) + BN + activation ("RE", "HS" or nil for none); g > 1 makes it depthwise
local function cbn(x, name, out, k, s, g, nl)
  x = b:conv(x, { out = out, k = k, s = s, p = (k - 1) // 2, g = g, bias = 0, name = name })
  x = b:batchnorm(x, { name = name .. ".bn" })
  if nl == "RE" then x = b:relu(x, { name = name .. ".relu" }) end
  if nl == "HS" then x = b:hardswish(x, { name = name .. ".hswish" }) end
  return x
end

-- torchvision's _make_divisible(v, 8): round to the nearest multiple of 8, never below 90 %
local function divisible(v)
  local n = math.max(8, (v + 4) // 8 * 8)
  if n < 0.9 * v then n = n + 8 end
  return n
end

local rows = { -- kernel, expanded, out, SE, NL, stride (Table 1, torchvision order)
  { 3, 16, 16, false, "RE", 1 }, { 3, 64, 24, false, "RE", 2 }, { 3, 72, 24, false, "RE", 1 },
  { 5, 72, 40, true, "RE", 2 }, { 5, 120, 40, true, "RE", 1 }, { 5, 120, 40, true, "RE", 1 },
  { 3, 240, 80, false, "HS", 2 }, { 3, 200, 80, false, "HS", 1 }, { 3, 184, 80, false, "HS", 1 },
  { 3, 184, 80, false, "HS", 1 }, { 3, 480, 112, true, "HS", 1 }, { 3, 672, 112, true, "HS", 1 },
  { 5, 672, 160, true, "HS", 2 }, { 5, 960, 160, true, "HS", 1 }, { 5, 960, 160, true, "HS", 1 },
}
-- MobileNetV3-Small (Table 2, torchvision order); its head widths
local head, hidden = 960, 1280
if variant == "small" then
  rows = {
    { 3, 16, 16, true, "RE", 2 }, { 3, 72, 24, false, "RE", 2 }, { 3, 88, 24, false, "RE", 1 },
    { 5, 96, 40, true, "HS", 2 }, { 5, 240, 40, true, "HS", 1 }, { 5, 240, 40, true, "HS", 1 },
    { 5, 120, 48, true, "HS", 1 }, { 5, 144, 48, true, "HS", 1 }, { 5, 288, 96, true, "HS", 2 },
    { 5, 576, 96, true, "HS", 1 }, { 5, 576, 96, true, "HS", 1 },
  }
  head, hidden = 576, 1024
end
local x = cbn(b.input, "features.0", 16, 3, 2, 1, "HS")
local cin = 16
for i, r in ipairs(rows) do
  local k, exp, out, se, nl, s = r[1], r[2], r[3], r[4], r[5], r[6]
  local name = "features." .. i
  local y = x
  if exp ~= cin then y = cbn(y, name .. ".expand", exp, 1, 1, 1, nl) end
  y = cbn(y, name .. ".dw", exp, k, s, exp, nl)
  if se then
    local q = divisible(exp // 4)
    local p = b:gavgpool(y, { name = name .. ".se.pool" })
    p = b:conv(p, { out = q, k = 1, bias = 1, act = "relu", name = name .. ".se.fc1" })
    p = b:conv(p, { out = exp, k = 1, bias = 1, name = name .. ".se.fc2" })
    p = b:hardsigmoid(p, { alpha = 1 / 6, beta = 0.5, name = name .. ".se.hsigmoid" })
    y = b:mul(y, p, { name = name .. ".se.scale" })
  end
  y = cbn(y, name .. ".project", out, 1, 1, 1, nil)
  if s == 1 and cin == out then y = b:add(y, x, { name = name .. ".add" }) end
  x, cin = y, out
end
x = cbn(x, "features." .. (#rows + 1), head, 1, 1, 1, "HS")
x = b:gavgpool(x, { name = "avgpool" })
x = b:flatten(x, { axis = 1, name = "flatten" })
x = b:gemm(x, { out = hidden, bias = 1, name = "classifier.0" })
x = b:hardswish(x, { name = "classifier.1" })
x = b:gemm(x, { out = 1000, bias = 1, name = "classifier.3" })
b:output(x)
if variant == "small" then
  return b, { macs = 0.056e9 * batch, params = 2542856, tol = 0.02,
              source = "Howard et al. 2019 Tables 2 and 4 (56 M multiply-adds); torchvision "
                       .. "mobilenet_v3_small docs (0.06 GFLOPS=GMAC, 2,542,856 params)" }
end
return b, { macs = 0.219e9 * batch, params = 5483032,
            source = "Howard et al. 2019 Tables 1 and 3 (219 M multiply-adds); torchvision "
                     .. "mobilenet_v3_large docs (0.22 GFLOPS=GMAC, 5,483,032 params)",
            tol = 0.02 }
