-- Huawei Atlas 300I inference card (model 3000/3010): 4 x Ascend 310 behind one PCIe link to
-- the host. Each chip is the ascend310 preset (its own 2 AI Cores, L2 and LPDDR4X: DRAM is
-- not shared between chips); the card adds the chip count and the host link, which every
-- frame's input and output cross (docs/workloads.md "Multi-chip cards"). Run it with
-- workloads (`npusim run -a atlas300i --workload s0=resnet50 ...`): workload i goes to chip
-- i mod 4 unless it says chip=K. The ascend310 figures were calibrated on ModelZoo rows, which
-- are Atlas 300I measurements per chip (research/davinci.md §4.2), so they are kept as they are.
return {
    base = "ascend310",
    name = "atlas300i",
    doc = "Huawei Atlas 300I card: 4 x Ascend 310 (ascend310 preset each, own DRAM) behind one PCIe 3.0 x16 link",
    chips = 4,
    ["link.gbps"] = 15.75,
    ["link.latency_us"] = 2,
    sources = {
        chips = "research/davinci.md §3 (Atlas 300I inference card: 4 x Ascend 310 per card) and §4.2; soc-facts.md §4 (4 chips per card)",
        ["link.gbps"] = "assumption: PCIe 3.0 x16 (8 GT/s x 16 lanes x 128b/130b = 15.75 GB/s per direction) for the whole card, behind one switch; research has no figure for the card's link (soc-facts.md §4: NP)",
        ["link.latency_us"] = "assumption: ~2 us from a host DMA request to the first byte on the chip (descriptor fetch and a PCIe round trip); not in research/",
    },
}
