-- nv_small driven by a bare-metal RISC-V soft core at the FPGA fabric clock (no Linux: no
-- thread wake-ups, no dma-buf costs; the firmware programs the registers itself).
return {
    model = "nvdla",
    name = "nv_small_riscv",
    base = "nv_small",
    doc = "nv_small at 100 MHz with a bare-metal RISC-V soft core host (FPGA)",
    freq_mhz = 100,
    ["host.cpu"] = "riscv-baremetal",
    ["dram.gbps"] = 4.26,
    sources = {
        freq_mhz = "FPGA fabric clock as in the ZYNQ-NVDLA build (research §5)",
        ["host.cpu"] = "issue #4 host presets: bare-metal RISC-V soft core at the fabric clock",
        ["dram.gbps"] = "assumption: a DDR3 x32 memory as on Zynq-7000 boards",
    },
}
