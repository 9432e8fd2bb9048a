print(pcall(npusim.sweep, { arch = "systolic", graph = "lenet5", vary = { rows = { 1, 2, 3, 4, 5, 6, 7, 8, 9 } } }))
local b = npusim.builder("deep", { input = { 1, 8 } })
local x = b.input
print(pcall(function() for i = 1, 100 do x = b:relu(x) end end))
for i = 1, 20 do print(npusim.run { arch = "tpu_v1", graph = "lenet5" }) end
while true do end
