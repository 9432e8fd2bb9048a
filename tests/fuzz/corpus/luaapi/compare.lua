local c = assert(npusim.compare { archs = { "rk3588", "nv_small", "rk3588" }, graph = "lenet5" })
for _, l in ipairs(c.layers) do print(l.name, l.best, l.cycles["rk3588#2"]) end
print(#c.results, c.results[1].arch)
