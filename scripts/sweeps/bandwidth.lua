-- bandwidth.lua — when does DRAM bandwidth, not the MAC array, limit a network?
--
--   npusim script scripts/sweeps/bandwidth.lua [NETWORK] [OUT.csv]
--
-- Crosses four DRAM bandwidths with four array shapes (16 or 64 rows x 16 or 64 columns) on
-- the `systolic` model (a cross product with `vary`: keys are taken in name order, the last one
-- changes fastest), then reports for each array shape how much of the speed-up from more
-- bandwidth is left — a roofline seen from the outside. Writes all points to OUT.csv (default bandwidth.csv).
local network = arg[1] or "mobilenet_v2"
local out = arg[2] or "bandwidth.csv"

local g = assert(npusim.graph(network))
print(tostring(g))

local rows, status = npusim.sweep {
  arch = "systolic",
  graph = g,
  set = { dataflow = "ws" },
  vary = { ["dram.gbps"] = { 3.2, 6.4, 12.8, 25.6 }, rows = { 16, 64 }, cols = { 16, 64 } },
}
if not rows then error(status, 0) end
if status == "interrupted" then print("interrupted: partial results") end

-- rows come out as cols (slowest), dram.gbps, rows (fastest): group them by array shape
local by, shapes = {}, {}
for _, r in ipairs(rows) do
  local shape = string.format("%dx%d", r.rows, r.cols)
  if not by[shape] then
    by[shape] = {}
    shapes[#shapes + 1] = shape
  end
  table.insert(by[shape], r)
end
for _, shape in ipairs(shapes) do
  local list = by[shape]
  table.sort(list, function(a, b) return a["dram.gbps"] < b["dram.gbps"] end)
  io.write(string.format("%-6s", shape))
  for i, r in ipairs(list) do
    local gain = i > 1 and list[i - 1].cycles / r.cycles or 1
    io.write(string.format("  %5.1f GB/s: %7.0f fps (x%.2f)", r["dram.gbps"], r.fps, gain))
  end
  io.write("\n")
end
print("x1.00 after doubling the bandwidth means compute-bound; x2.00 means memory-bound")

local ok, err = npusim.write_csv(out, rows, { force = true })
if not ok then error(err, 0) end
print("wrote " .. out)
