local dir = ...
local spec = { arch = "systolic", graph = "lenet5", vary = { rows = { 8, 16, 32, 64 } } }
assert(npusim.sweep(spec, { output = dir .. "part0.csv", shard = "0/2" }))
assert(npusim.sweep(spec, { output = dir .. "part1.csv", shard = "1/2" }))
print(npusim.merge(spec, { dir .. "part0.csv", dir .. "part1.csv" }, dir .. "all.csv"))
print(npusim.sweep(spec, { output = dir .. "all.csv", resume = true }))
