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
-- the layers are squeezenet1_0.lua's with version=1.1
local b = npusim.zoo("squeezenet1_0", { version = "1.1", batch = batch, dtype = args.dtype })
return b, { macs = 0.35e9 * batch, params = 1235496,
            source = "SqueezeNet v1.1 release notes; torchvision squeezenet1_1 docs (0.35 GFLOPS=GMAC, 1,235,496 params)",
            tol = 0.015 }
