local g = assert(npusim.graph("lenet5"))
local r = assert(npusim.run { arch = "systolic", graph = g, set = { rows = 16, cols = 16 } })
print(r.total.cycles, r.total.fps, #r.layers)
for _, l in ipairs(r.layers) do if l.bound == "memory" then print(l.name, l.cycles) end end
