-- squeezenet.lua — `squeezenet` is SqueezeNet 1.0, the network of the paper (Iandola et al.
-- 2016); SqueezeNet 1.1 (2.4x fewer MACs, same accuracy) is squeezenet1_1. This script only
-- forwards to squeezenet1_0.lua (same arguments, same published figures).
local npusim, args = ...
return npusim.zoo("squeezenet1_0", args)
