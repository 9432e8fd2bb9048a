-- regnet_x_400mf.lua — RegNetX-400MF (Radosavovic et al., "Designing Network Design Spaces",
-- CVPR 2020) as torchvision.models.regnet_x_400mf; variant= gives its RegNetY sibling and the
-- 800MF pair.
--
-- A RegNet is set by (depth d, w_0, w_a, w_m, group width g): block j gets the continuous width
-- u_j = w_0 + w_a j, quantised to w_0 w_m^round(log(u_j / w_0) / log w_m) rounded to a multiple
-- of 8; runs of equal widths are the stages; each stage width is then made a multiple of its
-- group width (torchvision BlockParams.from_init_params and _adjust_widths_groups_compatibilty).
-- The results (stage widths / blocks, computed outside the simulator with torchvision's rules
-- and checked by the exact parameter counts below):
--   x_400mf  d 22, w_0 24, w_a 24.48, w_m 2.54, g 16        -> 32 64 160 400 / 1 2 7 12
--   y_400mf  d 16, w_0 48, w_a 27.89, w_m 2.09, g 8, SE     -> 48 104 208 440 / 1 3 6 6
--   x_800mf  d 16, w_0 56, w_a 35.73, w_m 2.28, g 16        -> 64 128 288 672 / 1 3 7 5
--   y_800mf  d 14, w_0 56, w_a 38.84, w_m 2.40, g 16, SE    -> 64 144 320 784 / 1 3 8 2
--
-- Stem: conv 3x3/2 to 32 + BN + ReLU. Every stage starts with stride 2. Block (torchvision
-- ResBottleneckBlock, bottleneck multiplier 1): a = conv 1x1 to w + BN + ReLU; b = conv 3x3 with
-- the stride, w / g groups + BN + ReLU; for RegNetY squeeze-and-excitation on b (global average
-- pool, 1x1 conv with bias to round(0.25 x the block's input width) + ReLU, 1x1 conv back with
-- bias + sigmoid, multiply); c = conv 1x1 to w + BN; shortcut = conv 1x1 with the stride + BN
-- when width or stride change; add, ReLU. Head: global average pool, Linear(w -> 1000).
--
-- Published figures (torchvision model docs, IMAGENET1K_V1 weights; GFLOPS = GMAC):
--   x_400mf 5,495,976 params, 0.41; y_400mf 4,344,144, 0.40; x_800mf 7,259,656, 0.80;
--   y_800mf 6,432,512, 0.83. Two digits (±1.3 %): tolerance 1.5 %.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not),
-- variant=x_400mf|y_400mf|x_800mf|y_800mf (default x_400mf; the graph is named
-- regnet_<variant>; regnet_y_400mf.lua calls this script).
local npusim, args = ...
args = args or {}
local me = "regnet_" .. tostring(args.variant or "x_400mf") -- the graph's name, and the errors'
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "variant" then
    error(me .. ": unknown argument '" .. tostring(k) .. "' (known: batch, dtype, variant)")
  end
end
local variants = { -- stage widths, blocks per stage, group width, SE; published params, GMAC
  x_400mf = { { 32, 64, 160, 400 }, { 1, 2, 7, 12 }, 16, false, 5495976, 0.41 },
  y_400mf = { { 48, 104, 208, 440 }, { 1, 3, 6, 6 }, 8, true, 4344144, 0.40 },
  x_800mf = { { 64, 128, 288, 672 }, { 1, 3, 7, 5 }, 16, false, 7259656, 0.80 },
  y_800mf = { { 64, 144, 320, 784 }, { 1, 3, 8, 2 }, 16, true, 6432512, 0.83 },
}
local v = variants[args.variant or "x_400mf"]
if not v then
  error(me .. ": variant must be x_400mf, y_400mf, x_800mf or y_800mf")
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error(me .. ": batch must be a positive integer") end
local b = npusim.builder(me, { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

-- conv (no bias) + BN (+ ReLU unless relu == false)
local function cbr(x, name, out, k, s, g, relu)
  x = b:conv(x, { out = out, k = k, s = s, p = k // 2, g = g, bias = 0, name = name })
  x = b:batchnorm(x, { name = name .. ".bn" })
  if relu ~= false then x = b:relu(x, { name = name .. ".relu" }) end
  return x
end

local x = cbr(b.input, "stem", 32, 3, 2, 1)
local win = 32
for i, w in ipairs(v[1]) do
  for j = 0, v[2][i] - 1 do
    local name = string.format("trunk_output.block%d.block%d-%d", i, i, j)
    local s = j == 0 and 2 or 1
    local y = cbr(x, name .. ".f.a", w, 1, 1, 1)
    y = cbr(y, name .. ".f.b", w, 3, s, w // v[3])
    if v[4] then
      local p = b:gavgpool(y, { name = name .. ".f.se.avgpool" })
      p = b:conv(p, { out = math.floor(0.25 * win + 0.5), k = 1, bias = 1, act = "relu",
                      name = name .. ".f.se.fc1" })
      p = b:conv(p, { out = w, k = 1, bias = 1, act = "sigmoid", name = name .. ".f.se.fc2" })
      y = b:mul(y, p, { name = name .. ".f.se.scale" })
    end
    y = cbr(y, name .. ".f.c", w, 1, 1, 1, false)
    local sc = x
    if win ~= w or s ~= 1 then sc = cbr(x, name .. ".proj", w, 1, s, 1, false) end
    x = b:add(y, sc, { name = name .. ".add", act = "relu" })
    win = w
  end
end
x = b:gavgpool(x, { name = "avgpool" })
x = b:flatten(x, { axis = 1, name = "flatten" })
x = b:gemm(x, { out = 1000, bias = 1, name = "fc" })
b:output(x)
return b, { macs = v[6] * 1e9 * batch, params = v[5], tol = 0.015,
            source = string.format("Radosavovic et al. 2020; torchvision %s docs (%.2f GFLOPS=GMAC, "
                                   .. "%d params)", me, v[6], v[5]) }
