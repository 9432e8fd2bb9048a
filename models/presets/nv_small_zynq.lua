-- nv_small as built on the Zynq-7045 FPGA board of the ZYNQ-NVDLA thesis (research/nvdla.md §5):
-- 100 MHz fabric clock (timing closes at 100, fails at 150), ARM Cortex-A9 at 666 MHz running
-- Ubuntu with the open-source KMD/UMD, headless. Measured: LeNet-5 11.2 ms per image.
return {
    model = "nvdla",
    name = "nv_small_zynq",
    base = "nv_small",
    doc = "nv_small at 100 MHz on a Zynq-7045 with a Linux Cortex-A9 host (ZYNQ-NVDLA board)",
    freq_mhz = 100,
    ["host.cpu"] = "cortex-a9-linux",
    ["dram.gbps"] = 4.26,
    sources = {
        freq_mhz = "ZYNQ-NVDLA thesis: 100 MHz closes timing (research §5)",
        ["host.cpu"] = "ZYNQ-NVDLA thesis: ARM A9 666 MHz, Ubuntu (research §5)",
        ["dram.gbps"] = "assumption: Zynq-7045 PS DDR3-1066 x32 = 4.26 GB/s peak",
    },
}
