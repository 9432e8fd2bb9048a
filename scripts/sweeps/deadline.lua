-- deadline.lua — how much best-effort work fits beside a periodic detector on one NPU core?
--
--   npusim script scripts/sweeps/deadline.lua [DETECTOR] [CLASSIFIER] [FRAMES]
--
-- A detector at 30 fps and a classifier running back to back, both bound to core 0 of an
-- RK3588 (docs/workloads.md): one simulation per classifier batch, the batch being the
-- classifier's load. The core's job queue serves them first come, first served, so once one
-- detector frame plus one classifier frame no longer fit in a period the detector misses
-- deadlines and its latency grows.
local det = arg[1] or "yolov5s"
local cls = arg[2] or "resnet50"
local frames = tonumber(arg[3] or "12")

print(string.format("%s at 30 fps + %s back to back on rk3588 core 0, %d frames each",
                    det, cls, frames))
print(string.format("%6s  %12s  %12s  %7s  %8s", "batch", "det med ms", "det p99 ms", "misses",
                    "cls fps"))
for batch = 1, 4 do
  local r = assert(npusim.run_workloads{ arch = "rk3588", workloads = {
    { name = "det", graph = det, fps = 30, count = frames, set = { core_mask = 0 } },
    { name = "cls", graph = npusim.graph(cls, { batch = batch }), count = frames,
      set = { core_mask = 0 } } } })
  local d, c = r.workloads[1], r.workloads[2]
  print(string.format("%6d  %12.1f  %12.1f  %4d/%-2d  %8.1f", batch, d.latency_us.median / 1e3,
                      d.latency_us.p99 / 1e3, d.deadline_misses, d.frames, c.throughput_fps))
end
