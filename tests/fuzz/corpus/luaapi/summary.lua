local r = assert(npusim.run { arch = "rk3566", graph = "lenet5" })
io.write(npusim.report(r, "csv"))
io.write(npusim.report(r, "json", { summary = "op,engine", quiet = true }))
for _, g in ipairs(npusim.summary(r, "engine").engines) do print(g.name, g.share) end
r.layers[1].cycles = 0
print(pcall(npusim.report, r))
