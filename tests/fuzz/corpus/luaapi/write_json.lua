local dir = ...
local r = assert(npusim.run { arch = "nv_small", graph = "lenet5", trace = dir .. "t.json" })
assert(npusim.write_json(dir .. "r.json", r))
assert(npusim.write_json(dir .. "v.json", { a = 1, b = { 1, 2, 0/0 }, c = "x" }, { indent = 2 }))
assert(npusim.write_csv(dir .. "l.csv", r.layers))
print(npusim.write_csv(dir .. "l.csv", r.layers))
print(npusim.write_csv(dir .. "c.csv", { { a = 1, b = "x,y" }, { c = true } }, { force = true }))
