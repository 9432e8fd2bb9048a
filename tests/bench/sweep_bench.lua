-- sweep_bench.lua — design points per second of npusim.sweep with 1 and 2 threads, returning
-- Lua rows, and with one thread writing a CSV file (`output`: what `npusim sweep SPEC -o F`
-- does, ids and batch writes included; docs/sweeps.md). Not a pass/fail test: it prints figures.
--   build/<dir>/npu_lua_run tests/bench/sweep_bench.lua [NETWORK] [POINTS] [ARCH]
--   npusim script tests/bench/sweep_bench.lua [NETWORK] [POINTS] [ARCH]
-- ARCH defaults to systolic, whose points vary the array size and dataflow: an 8x8 array has
-- 16x the folds of the default 32x32 and costs ~20x the CPU time, so ms/point here is the
-- mix's average, not run_bench's 32x32 figure. ARCH "systolic32" sweeps the default 32x32
-- array only (dataflow varies), comparable with run_bench; any other preset (rk3588 …) varies
-- freq_mhz only, so every point costs the same as one run_bench iteration.
-- NETWORK defaults to resnet50 (the zoo); without the zoo a conv stack of similar size
-- (~4 GMAC) is built here.
local network = arg[1] or "resnet50"
local npoints = tonumber(arg[2]) or 16
local arch = arg[3] or "systolic"

local g = npusim.graph(network)
if not g then
  -- fallback: 16 3x3 convs at 56x56 and 28x28, ResNet-50-like work (~3.5 GMAC)
  local b = npusim.builder("convstack", { input = { 1, 64, 56, 56 } })
  local x = b.input
  for i = 1, 8 do x = b:conv(x, { out = 64, k = 3, p = 1, act = "relu" }) end
  x = b:conv(x, { out = 128, k = 3, s = 2, p = 1 })
  for i = 1, 8 do x = b:conv(x, { out = 128, k = 3, p = 1, act = "relu" }) end
  g = b:build()
end
print(tostring(g))

-- npoints distinct points: array sizes and dataflows
local points = {}
local sizes = { 8, 16, 32, 64, 128, 256 }
local flows = { "os", "ws", "is" }
for i = 0, npoints - 1 do
  if arch == "systolic" then
    points[#points + 1] = { rows = sizes[i % #sizes + 1], cols = sizes[(i // #sizes) % #sizes + 1],
      dataflow = flows[i % #flows + 1] }
  elseif arch == "systolic32" then
    points[#points + 1] = { rows = 32, cols = 32, dataflow = flows[i % #flows + 1] }
  else
    points[#points + 1] = { freq_mhz = 800 + 10 * i }
  end
end
local sweep_arch = arch == "systolic32" and "systolic" or arch

local base, rows1
for _, threads in ipairs({ 1, 2 }) do
  local t0, c0 = npusim.clock(), os.clock()
  local rows = assert(npusim.sweep { arch = sweep_arch, graph = g, points = points,
    threads = threads, progress = false })
  local dt, cpu = npusim.clock() - t0, os.clock() - c0
  base = base or dt
  rows1 = rows1 or rows
  -- wall time gives the speed-up; CPU time (all threads) shows the cost per point even on a
  -- loaded machine, where the wall-clock speed-up of 2 threads cannot show
  print(string.format("%s threads=%d: %d points in %.3f s wall = %.1f points/s (x%.2f); "
    .. "%.2f ms CPU/point", arch, threads, #rows, dt, #rows / dt, base / dt, 1000 * cpu / #rows))
end

-- what a CSV of those rows costs on top (write_csv), for comparison with `output` below
local c1 = os.clock()
assert(npusim.write_csv("/dev/null", rows1, { force = true }))
print(string.format("%s write_csv of the threads=1 rows: %.2f ms CPU/point", arch,
  1000 * (os.clock() - c1) / #rows1))

-- the same points written to a file (where the build has sweeps as files)
-- /dev/null: the rows are formatted and written (in place: no rename), nothing is left behind
local out = "/dev/null"
local t0, c0 = npusim.clock(), os.clock()
local ok, n = pcall(npusim.sweep, { arch = sweep_arch, graph = g, points = points, threads = 1,
  progress = false, output = out, force = true })
local dt, cpu = npusim.clock() - t0, os.clock() - c0
if ok and n then
  print(string.format("%s threads=1 to a file: %d points in %.3f s wall = %.1f points/s; "
    .. "%.2f ms CPU/point", arch, n, dt, n / dt, 1000 * cpu / n))
end
