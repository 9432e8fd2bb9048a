-- sweep_bench.lua — design points per second of npusim.sweep with 1 and 2 threads.
-- Not a pass/fail test: it prints figures.
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

local base
for _, threads in ipairs({ 1, 2 }) do
  local t0, c0 = npusim.clock(), os.clock()
  local rows = assert(npusim.sweep { arch = sweep_arch, graph = g, points = points,
    threads = threads, progress = false })
  local dt, cpu = npusim.clock() - t0, os.clock() - c0
  base = base or dt
  -- wall time gives the speed-up; CPU time (all threads) shows the cost per point even on a
  -- loaded machine, where the wall-clock speed-up of 2 threads cannot show
  print(string.format("%s threads=%d: %d points in %.3f s wall = %.1f points/s (x%.2f); "
    .. "%.1f ms CPU/point", arch, threads, #rows, dt, #rows / dt, base / dt, 1000 * cpu / #rows))
end
