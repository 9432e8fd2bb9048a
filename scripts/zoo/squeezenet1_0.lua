-- squeezenet1_0.lua — SqueezeNet 1.0 (Iandola et al., "SqueezeNet: AlexNet-level accuracy with
-- 50x fewer parameters and <0.5MB model size", 2016, Table 1 / Figure 2 left: the version of the
-- paper) as in torchvision.models.squeezenet1_0. `squeezenet` is this network.
--
-- Fire module: 1x1 "squeeze" conv + ReLU, then parallel 1x1 and 3x3 (pad 1) "expand" convs +
-- ReLU, concatenated on channels. All convs have biases; no batchnorm. Max pools are 3x3/2 in
-- ceil mode (torchvision), giving 224 -> 109 (conv1, 7x7/2, no pad) -> 54 -> 27 -> 13.
-- The classifier is a 1x1 conv to 1000 classes + ReLU and a global average pool (dropout is a
-- no-op at inference).
--
-- Published figures (torchvision model docs, SqueezeNet1_0_Weights.IMAGENET1K_V1):
--   params 1,248,424 (exact; the paper's Table 1 lists 1,248,424 too); 0.82 GFLOPS, which
--   torchvision counts as multiply-accumulates (2 significant digits, ±0.6%).
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not),
-- version=1.0|1.1 (default 1.0): 1.1 is SqueezeNet 1.1 (its conv1 and pool placement, below),
-- graph named squeezenet1_1. squeezenet1_1.lua is version=1.1 with its own published figures;
-- with version=1.1 this script returns none.
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "version" then
    error("squeezenet1_0: unknown argument '" .. tostring(k) .. "' (known: batch, dtype, version)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("squeezenet1_0: batch must be a positive integer") end
-- conv1 {filters, kernel}, then "pool" or {squeeze, expand1x1, expand3x3} for fire2 .. fire9
local versions = {
  ["1.0"] = { name = "squeezenet1_0", conv1 = { 96, 7 }, -- Table 1
              layers = { "pool", { 16, 64, 64 }, { 16, 64, 64 }, { 32, 128, 128 }, "pool",
                         { 32, 128, 128 }, { 48, 192, 192 }, { 48, 192, 192 }, { 64, 256, 256 },
                         "pool", { 64, 256, 256 } } },
  ["1.1"] = { name = "squeezenet1_1", conv1 = { 64, 3 }, -- pools after conv1, fire3 and fire5
              layers = { "pool", { 16, 64, 64 }, { 16, 64, 64 }, "pool", { 32, 128, 128 },
                         { 32, 128, 128 }, "pool", { 48, 192, 192 }, { 48, 192, 192 },
                         { 64, 256, 256 }, { 64, 256, 256 } } },
}
local version = tostring(args.version or "1.0") -- --zoo-args version=1.1 arrives as a number
local v = versions[version]
if not v then
  error("squeezenet1_0: version must be 1.0 or 1.1, got '" .. tostring(args.version) .. "'")
end
local b = npusim.builder(v.name, { input = { batch, 3, 224, 224 }, dtype = args.dtype or "int8" })

local function fire(x, name, sq, e1, e3)
  local s = b:conv(x, { out = sq, k = 1, bias = 1, act = "relu", name = name .. ".squeeze" })
  local a = b:conv(s, { out = e1, k = 1, bias = 1, act = "relu", name = name .. ".expand1x1" })
  local c = b:conv(s, { out = e3, k = 3, p = 1, bias = 1, act = "relu", name = name .. ".expand3x3" })
  return b:concat(a, c, { axis = 1, name = name .. ".concat" })
end

local x = b:conv(b.input, { out = v.conv1[1], k = v.conv1[2], s = 2, bias = 1, act = "relu", name = "conv1" })
local nfire, npool = 2, 1
for _, l in ipairs(v.layers) do
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
if version ~= "1.0" then return b end
return b, { macs = 0.82e9 * batch, params = 1248424,
            source = "Iandola et al. 2016 Table 1; torchvision squeezenet1_0 docs (0.82 GFLOPS=GMAC, 1,248,424 params)",
            tol = 0.01 }
