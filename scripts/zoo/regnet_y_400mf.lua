-- regnet_y_400mf.lua — RegNetY-400MF (Radosavovic et al., CVPR 2020) as
-- torchvision.models.regnet_y_400mf: regnet_x_400mf.lua with variant=y_400mf (the widths,
-- squeeze-and-excitation and published figures are described there).
-- Arguments: dtype= (default int8), batch= (default 1).
local npusim, args = ...
local a = { variant = "y_400mf" }
for k, v in pairs(args or {}) do
  if k == "variant" then error("regnet_y_400mf: unknown argument 'variant' (known: batch, dtype)") end
  a[k] = v
end
return npusim.zoo("regnet_x_400mf", a)
