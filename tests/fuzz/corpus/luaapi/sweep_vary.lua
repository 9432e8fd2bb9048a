local dir = ...
local rows, status = npusim.sweep {
  arch = "systolic", graph = "lenet5", threads = 2,
  vary = { rows = { 16, 32 }, dataflow = { "os", "ws" } },
  set = { ["dram.gbps"] = 25.6 }, metrics = { "cycles", "fps" },
}
assert(rows, status)
table.sort(rows, function(a, b) return a.cycles < b.cycles end)
assert(npusim.write_csv(dir .. "sweep.csv", rows))
local back, header = npusim.read_csv(dir .. "sweep.csv")
print(#back, #header)
