-- efficientnet_b1.lua — EfficientNet-B1 (Tan & Le, ICML 2019) as torchvision.models.efficientnet_b1:
-- efficientnet_b0.lua with variant=b1 (its compound scaling, crop size and published figures are
-- described there).
-- Arguments: dtype= (default int8), batch= (default 1), size= (default: the crop size).
local npusim, args = ...
local a = { variant = "b1" }
for k, v in pairs(args or {}) do
  if k == "variant" then error("efficientnet_b1: unknown argument 'variant' (known: batch, dtype, size)") end
  a[k] = v
end
return npusim.zoo("efficientnet_b0", a)
