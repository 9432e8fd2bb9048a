local b = npusim.builder("mm", { input = { 1, 64 } })
b:gemm(b.input, { out = 64 })
local g = b:build()
local rows = assert(npusim.sweep { arch = { "nv_small", "tpu_v1" }, graph = g,
  points = { { ["dram.gbps"] = 6.4 }, { ["dram.gbps"] = 25.6 } }, keep_layers = true })
for _, r in ipairs(rows) do print(r.id, r.arch, r.cycles, #r.layers) end
