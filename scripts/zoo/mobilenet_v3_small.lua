-- mobilenet_v3_small.lua — MobileNetV3-Small (Howard et al., "Searching for MobileNetV3", ICCV
-- 2019, Table 2) as torchvision.models.mobilenet_v3_small: mobilenet_v3_large.lua with
-- variant=small (the block form and the published figures are described there).
-- Arguments: dtype= (default int8), batch= (default 1).
local npusim, args = ...
local a = { variant = "small" }
for k, v in pairs(args or {}) do
  if k == "variant" then error("mobilenet_v3_small: unknown argument 'variant' (known: batch, dtype)") end
  a[k] = v
end
return npusim.zoo("mobilenet_v3_large", a)
