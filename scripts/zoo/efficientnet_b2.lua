-- efficientnet_b2.lua — EfficientNet-B2 (Tan & Le, ICML 2019) as torchvision.models.efficientnet_b2:
-- efficientnet_b0.lua with variant=b2 (its compound scaling, crop size and published figures are
-- described there).
-- Arguments: dtype= (default int8), batch= (default 1), size= (default: the crop size).
local npusim, args = ...
local a = { variant = "b2" }
for k, v in pairs(args or {}) do
  if k == "variant" then error("efficientnet_b2: unknown argument 'variant' (known: batch, dtype, size)") end
  a[k] = v
end
return npusim.zoo("efficientnet_b0", a)
