local a = assert(npusim.arch("systolic", { rows = 64, dataflow = "ws" }))
print(a, a:name(), a:model())
assert(a:set("cols", 32))
print(a:set("cols", -1))
local b = a:clone()
for _, p in ipairs(npusim.params(b)) do print(p.name, p.value, p.origin) end
print(npusim.params("nope"))
print(#npusim.archs(), #npusim.models(), #npusim.networks())
