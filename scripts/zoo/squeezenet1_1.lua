-- squeezenet1_1.lua — SqueezeNet 1.1 (the revision published with the SqueezeNet reference
-- repository, 2016: "2.4x less computation than SqueezeNet 1.0, without sacrificing accuracy")
-- as in torchvision.models.squeezenet1_1.
--
-- Differences from 1.0 (squeezenet1_0.lua): conv1 is 3x3/2 with 64 filters instead of 7x7/2
-- with 96, and the max pools come earlier (after conv1, fire3 and fire5), so more Fire modules
-- run at low resolution. Fire module, classifier and ceil-mode pools as in 1.0:
-- 224 -> 111 (conv1) -> 55 -> 27 -> 13.
--
-- Published figures (torchvision model docs, SqueezeNet1_1_Weights.IMAGENET1K_V1):
--   params 1,235,496 (exact); 0.35 GFLOPS, which torchvision counts as multiply-accumulates
--   (2 significant digits, ±1.4%), so the tolerance is 1.5%.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("squeezenet1_1: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("squeezenet1_1: batch must be a positive integer") end
local b = npusim.builder("squeezenet1_1", { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

local function fire(x, name, sq, e1, e3)
  local s = b:conv(x, { out = sq, k = 1, bias = 1, act = "relu", name = name .. ".squeeze" })
  local a = b:conv(s, { out = e1, k = 1, bias = 1, act = "relu", name = name .. ".expand1x1" })
  local c = b:conv(s, { out = e3, k = 3, p = 1, bias = 1, act = "relu", name = name .. ".expand3x3" })
  return b:concat(a, c, { axis = 1, name = name .. ".concat" })
end

local x = b:conv(b.input, { out = 64, k = 3, s = 2, bias = 1, act = "relu", name = "conv1" })
-- "pool" or {squeeze, expand1x1, expand3x3} for fire2 .. fire9
local layers = { "pool", { 16, 64, 64 }, { 16, 64, 64 }, "pool", { 32, 128, 128 }, { 32, 128, 128 },
                 "pool", { 48, 192, 192 }, { 48, 192, 192 }, { 64, 256, 256 }, { 64, 256, 256 } }
local nfire, npool = 2, 1
for _, l in ipairs(layers) do
  if l == "pool" then
    x = b:maxpool(x, { k = 3, s = 2, ceil = 1, name = "maxpool" .. npool })
    npool = npool + 1
  else
    x = fire(x, "fire" .. nfire, l[1], l[2], l[3])
    nfire = nfire + 1
  end
end
x = b:conv(x, { out = 1000, k = 1, bias = 1, act = "relu", name = "conv10" })
x = b:gavgpool(x, { name = "avgpool" })
x = b:flatten(x, { axis = 1, name = "flatten" })
b:output(x)
return b, { macs = 0.35e9 * batch, params = 1235496,
            source = "SqueezeNet v1.1 release notes; torchvision squeezenet1_1 docs (0.35 GFLOPS=GMAC, 1,235,496 params)",
            tol = 0.015 }
