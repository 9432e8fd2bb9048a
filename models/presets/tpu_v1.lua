-- Google TPU v1 as a weight-stationary systolic array. Figures from Jouppi et al.,
-- "In-Datacenter Performance Analysis of a Tensor Processing Unit", ISCA 2017:
-- 256x256 8-bit MAC matrix unit at 700 MHz, 24 MiB Unified Buffer (activations), 4 MiB of
-- 32-bit accumulators, weight tiles double-buffered in the matrix unit and staged through a
-- 4-tile Weight FIFO (64 KiB per tile), 8 GiB DDR3 weight memory at 34 GB/s.
-- Assumptions (marked): the loader width and the mapping of the FIFO/buffers onto this model's
-- three SRAMs; activations are read from DRAM per layer here (the real chip keeps them in the
-- Unified Buffer between layers), so activation-heavy layers come out pessimistic.
return {
    model = "systolic",
    name = "tpu_v1",
    doc = "Google TPU v1 (ISCA 2017): 256x256 int8 weight-stationary array, 700 MHz, 34 GB/s DDR3",
    rows = 256,
    cols = 256,
    dataflow = "ws",
    freq_mhz = 700,
    ifmap_kb = 24576,
    filter_kb = 256,
    ofmap_kb = 4096,
    weight_buffers = 2,
    dma_bytes = 256,
    ["dram.gbps"] = 34,
    ["energy.node_nm"] = 28,
    ["energy.dram"] = "ddr3",
    sources = {
        ["energy.node_nm"] = "assumption: 28 nm (Jouppi et al., ISCA 2017; not in research/)",
        ["energy.dram"] = "assumption: DDR3 (Jouppi et al., ISCA 2017; not in research/)",
        rows = "Jouppi et al. ISCA 2017, §2: 256x256 MACs",
        cols = "Jouppi et al. ISCA 2017, §2: 256x256 MACs",
        dataflow = "Jouppi et al. ISCA 2017, §2: weights stay in the matrix unit, data flows through",
        freq_mhz = "Jouppi et al. ISCA 2017, Table 2: 700 MHz",
        ifmap_kb = "Jouppi et al. ISCA 2017, §2: 24 MiB Unified Buffer",
        filter_kb = "Jouppi et al. ISCA 2017, §2: Weight FIFO four tiles deep, 64 KiB per tile",
        ofmap_kb = "Jouppi et al. ISCA 2017, §2: 4 MiB of 32-bit accumulators",
        weight_buffers = "Jouppi et al. ISCA 2017, §2: weight tile double-buffered in the matrix unit",
        dma_bytes = "assumption: one 256-byte array row per cycle into the operand SRAMs",
        ["dram.gbps"] = "Jouppi et al. ISCA 2017, §2: DDR3 weight memory, 34 GB/s",
    },
}
