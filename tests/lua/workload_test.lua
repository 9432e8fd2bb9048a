-- workload_test.lua — npusim.run_workloads (several workloads at once; docs/workloads.md):
-- the result's shape, a frame table as npusim.run gives it, recoverable errors and misuse.
local fails = 0
local function check(c, what)
  if not c then fails = fails + 1; print("FAIL " .. what) else print("ok   " .. what) end
end

local r = assert(npusim.run_workloads{ arch = "rk3588", workloads = {
  { name = "a", graph = "mobilenet_v2", set = { core_mask = 0 }, count = 2 },
  { name = "b", graph = npusim.graph("resnet18"), set = { core_mask = "1" }, after = "a" } } })
check(r.schema == "npusim.workloads/1", "schema")
check(#r.workloads == 2 and r.workloads[1].name == "a" and r.workloads[2].after == "a", "workloads")
check(r.workloads[2].frames == 2, "after= takes the producer's count")
local single = npusim.run{ arch = "rk3588", graph = "mobilenet_v2" }
local a = r.workloads[1]
check(a.dram_rd_bytes == 2 * single.total.dram_rd_bytes, "bytes of every frame")
check(#a.frame.layers == #single.layers and a.frame.total.cycles > 0, "median frame as a result")
check(a.latency_us.min <= a.latency_us.median and a.latency_us.median <= a.latency_us.p99,
      "latency order")
check(r.time_us >= r.workloads[2].latency_us.max, "run time")

local x, msg = npusim.run_workloads{ arch = "rk3588", workloads = {
  { name = "x", graph = "resnet18", after = "nobody" } } }
check(x == nil and msg:find("names no workload"), "recoverable error: " .. tostring(msg))
x, msg = npusim.run_workloads{ arch = "ascend310", workloads = { { name = "x", graph = "resnet18" },
                                                                  { name = "y", graph = "resnet18" } } }
check(x == nil and msg:find("rknpu model only"), "model refused: " .. tostring(msg))
local ok, e = pcall(npusim.run_workloads, { arch = "rk3588", workloads = {} })
check(not ok and tostring(e):find("1 to 64"), "empty list raises")
ok, e = pcall(npusim.run_workloads, { arch = "rk3588", workloads = { { name = "x", graph = "resnet18", fps = -1 } } })
check(not ok and tostring(e):find("fps"), "bad fps raises")
-- layer pipelining (pipeline=N): the stages are workloads, the pipeline is summarised end to end
local p = assert(npusim.run_workloads{ arch = "rk3588", workloads = {
  { name = "p", graph = "resnet18", count = 3, set = { pipeline = 2 } } } })
check(#p.workloads == 2 and p.workloads[2].name == "p.s1" and p.workloads[2].after == "p.s0",
      "pipeline stages")
local pp = p.pipelines and p.pipelines[1]
check(pp and pp.name == "p" and #pp.stages == 2 and pp.stages[1] == "p.s0" and pp.frames == 3,
      "pipelines[]")
check(pp and pp.alone_us > 0 and pp.latency_us.median > pp.alone_us and
      pp.throughput_fps > 1e6 / pp.alone_us and p.workloads[1].busy_us > 0, "the trade")
check(r.pipelines == nil, "no pipelines key without pipeline=")
local c = assert(npusim.run_workloads{ arch = "atlas300i", workloads = {
  { name = "a", graph = "resnet18" } } })
check(c.chips == 4 and c.link_bytes > 0, "card keys")
-- a plain run on a card: npusim.run would be one chip (refused, saying what to use), run_card
-- spreads the frames as `npusim run -a atlas300i` does
local none, why = npusim.run{ arch = "atlas300i", graph = "resnet18" }
check(none == nil and why:find("one chip of a card", 1, true) and why:find("npusim.run_card", 1, true),
      "npusim.run on a card refused: " .. tostring(why))
local one = assert(npusim.run{ arch = "atlas300i", graph = "resnet18", set = { ["card.spread"] = "one" } })
local chip = assert(npusim.run{ arch = "ascend310", graph = "resnet18" })
check(one.total.cycles == chip.total.cycles, "card.spread=one is the chip's run")
local s = assert(npusim.run_card{ arch = "atlas300i", graph = "resnet18" })
check(s.schema == "npusim.workloads/1" and s.spread == "stream" and s.unit == "image" and
      #s.workloads == 4 and s.workloads[4].name == "chip3", "run_card: a stream per chip")
check(s.card_items_per_s > 3 * chip.total.fps and s.card_items_per_s < 4 * chip.total.fps,
      "run_card: four chips less the link")
local rows, serr = npusim.sweep{ arch = "atlas300i", graph = "resnet18", vary = { freq_mhz = { 600, 680 } } }
check(rows == nil and serr:find("^sweep point 1 %(id %x+%): one result per run means one chip of a card"),
      "a sweep on a card: its first point says why: " .. tostring(serr))
local bad, msg = npusim.run_card{ arch = "ascend310", graph = "resnet18" }
check(bad == nil and msg:find("not a card", 1, true), "run_card on one chip refused")
if fails > 0 then error(fails .. " checks failed") end
print("all passed")
