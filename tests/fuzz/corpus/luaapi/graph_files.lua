local dir = ...
local g = assert(npusim.graph("lenet5", { batch = 2 }))
assert(g:write_npg(dir .. "g.npg"))
print(g:write_npg(dir .. "g.npg"))
assert(npusim.write_onnx(g, dir .. "g.onnx"))
local h = assert(npusim.graph(dir .. "g.npg"))
local o = assert(npusim.graph(dir .. "g.onnx", { allow_unsupported = true }))
print(h, o, h:name(), #h:inputs(), #o:outputs(), h:macs() == g:macs())
print(npusim.graph("/etc/passwd"), npusim.graph("../x.npg"))
