local dir = ...
local r = assert(npusim.run { arch = "ascend310", graph = "lenet5" })
print(npusim.plot { kind = "layers", data = r, path = dir .. "l.svg", title = "lenet5" })
print(npusim.plot { kind = "roofline", data = r, path = dir .. "r.svg" })
local rows = assert(npusim.sweep { arch = "systolic", graph = "lenet5", vary = { rows = { 8, 16 }, cols = { 8, 16 } } })
print(npusim.plot { kind = "sweep", data = rows, path = dir .. "s.svg", x = "rows", y = "cycles", series = "cols" })
print(npusim.plot { kind = "heatmap", data = rows, path = dir .. "h.svg", x = "rows", y = "cols", z = "fps" })
