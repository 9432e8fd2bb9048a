-- example_edge: the `example` teaching model (models/example/) sized as a small edge NPU next
-- to a Linux application processor. It is NOT a real chip: every figure is an assumption
-- chosen to be of the right order for that class of device, and says so. Copy this file with
-- models/example/ to start a new model (docs/models/adding-a-model.md).
return {
    model = "example",
    name = "example_edge",
    doc = "teaching model as a small edge NPU: 32x32 weight-stationary array, 800 MHz, one DMA, LPDDR4",
    rows = 32,
    cols = 32,
    abuf_kb = 256,
    wbuf_kb = 128,
    dma_bytes = 32,
    freq_mhz = 800,
    irq_regs = 8,
    ["dram.gbps"] = 12.8,
    ["host.cpu"] = "cortex-a55-linux",
    sources = {
        rows = "assumption: 32x32 = 1024 int8 MACs, the order of a small edge NPU (0.8 TMAC/s at 800 MHz)",
        cols = "assumption: square array, as rows",
        abuf_kb = "assumption: 256 KiB activation SRAM (two 128 KiB halves), edge-NPU order",
        wbuf_kb = "assumption: 128 KiB weight SRAM; a layer with more int8 weights re-reads them for every tile",
        dma_bytes = "assumption: one 256-bit AXI beat per cycle",
        freq_mhz = "assumption: 800 MHz, a typical edge-NPU clock",
        irq_regs = "assumption: 8 register writes per layer (2 addresses, 4 sizes, config, start)",
        ["dram.gbps"] = "assumption: LPDDR4-3200 x32 = 12.8 GB/s (the engine's default, arithmetic)",
        ["host.cpu"] = "assumption: a Cortex-A55 running Linux takes the interrupts and runs the CPU layers",
    },
}
