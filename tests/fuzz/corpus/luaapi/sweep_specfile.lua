local dir = ...
local f = io.open(dir .. "x.lua")
print(f)
print(pcall(npusim.sweep, dir .. "spec.lua"))
print(npusim.sweep({ arch = "tpu_v1", graph = "lenet5", vary = { rows = { 64 } } }, { threads = 256 }))
