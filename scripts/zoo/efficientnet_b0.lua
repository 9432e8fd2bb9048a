-- efficientnet_b0.lua — EfficientNet-B0 (Tan & Le, "EfficientNet: Rethinking Model Scaling for
-- Convolutional Neural Networks", ICML 2019, Table 1) as torchvision.models.efficientnet_b0.
--
-- Stem conv 3x3/2 to 32 + BN + SiLU; seven stages of MBConv blocks (Table 1: expand ratio,
-- kernel, first stride, in, out, repeats):
--   1 3 1 32 16 1 | 6 3 2 16 24 2 | 6 5 2 24 40 2 | 6 3 2 40 80 3 | 6 5 1 80 112 3 |
--   6 5 2 112 192 4 | 6 3 1 192 320 1
-- MBConv (torchvision MBConv): 1x1 expansion to in x ratio + BN + SiLU (absent at ratio 1),
-- k x k depthwise (stride on the first block of a stage, pad k//2) + BN + SiLU, squeeze-and-
-- excitation (global average pool, 1x1 conv to max(1, in/4) with bias + SiLU, 1x1 conv back
-- with bias + sigmoid, channel-wise multiply: note the squeeze width follows the block's INPUT
-- channels, not the expanded ones), 1x1 projection + BN; a residual add when stride is 1 and
-- in = out (stochastic depth is the identity at inference). Head: 1x1 conv to 4 x 320 = 1280 +
-- BN + SiLU, global average pool, (dropout), Linear(1280 -> 1000).
-- B1-B3 scale it (compound scaling, torchvision's width_mult/depth_mult and crop size):
--   B1 1.0/1.1 at 240, B2 1.1/1.2 at 288, B3 1.2/1.4 at 300; channels make_divisible(c x width,
--   8) (nearest multiple of 8, never below 90 %), repeats ceil(n x depth).
--
-- Published figures (torchvision model docs, IMAGENET1K_V1 weights; GFLOPS = GMAC at the crop
-- size): B0 5,288,548 params, 0.39; B1 7,794,184, 0.69; B2 9,109,994, 1.09; B3 12,233,232,
-- 1.83. The GFLOPS have 2-3 digits (B0 ±1.3 %): tolerance 1.5 %.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not),
-- variant=b0|b1|b2|b3 (default b0; the graph is named efficientnet_<variant>;
-- efficientnet_b1.lua ... call this script), size= (default: the variant's crop size; the
-- published MACs are scaled by (size / crop)^2).
local npusim, args = ...
args = args or {}
local me = "efficientnet_" .. tostring(args.variant or "b0") -- the graph's name, and the errors'
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "variant" and k ~= "size" then
    error(me .. ": unknown argument '" .. tostring(k) .. "' (known: batch, dtype, variant, size)")
  end
end
local variants = { -- width, depth, crop; published params, GMAC
  b0 = { 1.0, 1.0, 224, 5288548, 0.39 }, b1 = { 1.0, 1.1, 240, 7794184, 0.69 },
  b2 = { 1.1, 1.2, 288, 9109994, 1.09 }, b3 = { 1.2, 1.4, 300, 12233232, 1.83 },
}
local vname = args.variant or "b0"
local v = variants[vname]
if not v then error(me .. ": variant must be b0, b1, b2 or b3, not '" .. tostring(vname) .. "'") end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error(me .. ": batch must be a positive integer") end
local size = math.tointeger(tonumber(args.size or v[3]))
if not size or size < 32 then error(me .. ": size must be an integer of at least 32") end
local b = npusim.builder(me, { input = { batch, 3, size, size }, dtype = args.dtype or "int8" })

-- torchvision's _make_divisible(v, 8): round to the nearest multiple of 8, never below 90 %
local function divisible(c)
  local n = math.max(8, math.floor(c + 4) // 8 * 8)
  if n < 0.9 * c then n = n + 8 end
  return n
end
local function adjust(c) return divisible(c * v[1]) end

-- conv (no bias) + BN (+ SiLU unless act == false); g > 1 makes it depthwise
local function cbn(x, name, out, k, s, g, act)
  x = b:conv(x, { out = out, k = k, s = s, p = (k - 1) // 2, g = g, bias = 0, name = name })
  x = b:batchnorm(x, { name = name .. ".bn" })
  if act ~= false then x = b:silu(x, { name = name .. ".silu" }) end
  return x
end

local stages = { -- expand, kernel, stride, in, out, repeats
  { 1, 3, 1, 32, 16, 1 }, { 6, 3, 2, 16, 24, 2 }, { 6, 5, 2, 24, 40, 2 }, { 6, 3, 2, 40, 80, 3 },
  { 6, 5, 1, 80, 112, 3 }, { 6, 5, 2, 112, 192, 4 }, { 6, 3, 1, 192, 320, 1 },
}
local x = cbn(b.input, "features.0", adjust(32), 3, 2, 1)
for i, st in ipairs(stages) do
  local e, k, s, cin, out = st[1], st[2], st[3], adjust(st[4]), adjust(st[5])
  for j = 0, math.ceil(st[6] * v[2] - 1e-9) - 1 do
    local name = string.format("features.%d.%d", i, j)
    local inp = j == 0 and cin or out
    local exp = divisible(inp * e)
    local y = x
    if exp ~= inp then y = cbn(y, name .. ".expand", exp, 1, 1, 1) end
    y = cbn(y, name .. ".dw", exp, k, j == 0 and s or 1, exp)
    local p = b:gavgpool(y, { name = name .. ".se.pool" })
    p = b:conv(p, { out = math.max(1, inp // 4), k = 1, bias = 1, act = "silu", name = name .. ".se.fc1" })
    p = b:conv(p, { out = exp, k = 1, bias = 1, act = "sigmoid", name = name .. ".se.fc2" })
    y = b:mul(y, p, { name = name .. ".se.scale" })
    y = cbn(y, name .. ".project", out, 1, 1, 1, false)
    if j > 0 or (s == 1 and cin == out) then y = b:add(y, x, { name = name .. ".add" }) end
    x = y
  end
end
x = cbn(x, "features.8", 4 * adjust(320), 1, 1, 1)
x = b:gavgpool(x, { name = "avgpool" })
x = b:flatten(x, { axis = 1, name = "flatten" })
x = b:gemm(x, { out = 1000, bias = 1, name = "classifier.1" })
b:output(x)
return b, { macs = v[5] * 1e9 * batch * (size / v[3]) ^ 2, params = v[4], tol = 0.015,
            source = string.format("Tan & Le 2019 Table 1; torchvision efficientnet_%s docs "
                                   .. "(%.2f GFLOPS=GMAC at %d, %d params)", vname, v[5], v[3], v[4]) }
