-- deploy_test.lua — fits-or-not in Lua (issue 22): a run's totals carry the footprint and
-- `fits`, so a sweep can keep only the points that fit the board (docs/deployment.md §2).
local T = dofile("tests/lua/check.lua")

-- an RV1106G3 (256 MB, ~146 MB left by Linux) cannot hold a 1.5B-parameter LLM
local r = npusim.run { arch = "rv1106", graph = "qwen2_5_1_5b_decode" }
T.eq(r.total.fits, 0, "rv1106 + Qwen2.5-1.5B does not fit")
T.eq(r.total.dram_usable_bytes, 146 * 1024 * 1024, "146 MiB left to the model")
T.ok(r.total.footprint_bytes > 1500 * 1024 * 1024, "1.5 B fp16 weights")

-- a sweep over board sizes, filtered on fits: ResNet-18 (~13 MB) fits 16 MiB and up
local rows = npusim.sweep { arch = "rv1106", graph = "resnet18", threads = 1,
  set = { ["dram.os_mb"] = 0 }, vary = { ["dram.capacity_mb"] = { 8, 16, 64 } } }
local fit = {}
for _, row in ipairs(rows) do
  if row.fits == 1 then fit[#fit + 1] = row["dram.capacity_mb"] end
end
T.eq(table.concat(fit, ","), "16,64", "the boards ResNet-18 fits")
T.ok(rows[1].total_weight_size > 11000000, "footprint columns in sweep rows")
T.report()
