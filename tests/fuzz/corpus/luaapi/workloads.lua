local r = npusim.run_workloads { arch = "rk3588", set = { ["dram.gbps"] = 20 },
  workloads = { { name = "det", graph = "lenet5", fps = 30, count = 3, set = { core_mask = 0 } },
                { name = "cls", graph = "lenet5", after = "det", set = { core_mask = 1 } } } }
print(r and r.workloads[1].latency_us.p99, r and r.workloads[2].frame.total.cycles)
print(npusim.run_card { arch = "atlas300i", graph = "lenet5" })
print(npusim.run { arch = "atlas300i", graph = "lenet5" })
