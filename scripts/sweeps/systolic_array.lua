-- systolic_array.lua — how big should a systolic array be, and which dataflow should it use?
--
--   npusim script scripts/sweeps/systolic_array.lua [NETWORK] [OUT.csv]
--
-- Runs NETWORK (default resnet50; any zoo name or graph file) on the `systolic` model for square
-- arrays of 8x8 to 128x128 PEs and the three dataflows (output, weight and input stationary),
-- prints a table and writes every point to OUT.csv (default systolic_array.csv). Ctrl-C stops
-- after the points in flight; the finished points are still printed and written.
local network = arg[1] or "resnet50"
local out = arg[2] or "systolic_array.csv"

local g = assert(npusim.graph(network))
print(tostring(g))

-- Square arrays cannot be written as a cross product of rows x cols, so list the points.
local points = {}
for _, n in ipairs({ 8, 16, 32, 64, 128 }) do
  for _, df in ipairs({ "os", "ws", "is" }) do
    points[#points + 1] = { rows = n, cols = n, dataflow = df }
  end
end

local t0 = npusim.clock()
local rows, status = npusim.sweep { arch = "systolic", graph = g, points = points }
if not rows then error(status, 0) end -- nil, message: a bad parameter value, say
local dt = npusim.clock() - t0
if status == "interrupted" then print("interrupted: showing the finished points") end

print(string.format("%-9s %-4s %12s %9s %7s %10s", "array", "flow", "cycles", "fps", "util",
  "DRAM MB"))
for _, r in ipairs(rows) do
  print(string.format("%3dx%-5d %-4s %12d %9.1f %6.1f%% %10.1f", r.rows, r.cols, r.dataflow,
    r.cycles, r.fps, 100 * r.util, (r.dram_rd_bytes + r.dram_wr_bytes) / 1e6))
end
print(string.format("%d points in %.2f s", #rows, dt))

local ok, err = npusim.write_csv(out, rows, { force = true })
if not ok then error(err, 0) end
print("wrote " .. out)
