-- bandwidth.lua — when does DRAM bandwidth, not the MAC array, limit a network?
--
--   npusim script scripts/sweeps/bandwidth.lua [NETWORK] [OUT.csv]
--
-- Crosses four DRAM bandwidths with three array sizes on the `systolic` model (a cross product
-- with `vary`: keys are taken in name order, the last one changes fastest), then reports for
-- each array size how much of the speed-up from more bandwidth is left — a roofline seen from
-- the outside. Writes all points to OUT.csv (default bandwidth.csv).
local network = arg[1] or "mobilenet_v2"
local out = arg[2] or "bandwidth.csv"

local g = assert(npusim.graph(network))
print(tostring(g))

local rows, status = npusim.sweep {
  arch = "systolic",
  graph = g,
  set = { dataflow = "ws" },
  vary = { ["dram.gbps"] = { 3.2, 6.4, 12.8, 25.6 }, rows = { 16, 32, 64 } },
}
if not rows then error(status, 0) end
if status == "interrupted" then print("interrupted: partial results") end

-- group by array size: rows come out as dram.gbps (slow) x rows (fast)
local by = {}
for _, r in ipairs(rows) do
  by[r.rows] = by[r.rows] or {}
  table.insert(by[r.rows], r)
end
for _, n in ipairs({ 16, 32, 64 }) do
  local list = by[n] or {}
  io.write(string.format("%3dx%-3d", n, n))
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
