-- NVDLA nv_medium_512 (nvdla/hw master spec/defs/nv_medium_512.spec; research/nvdla.md §1.4):
-- atomic-C 32 x atomic-K 16 = 512 MACs, CBUF 32 banks x 32 B x 512 = 512 KiB, SDP 4, PDP/CDP 2,
-- 128-bit interface with latency 256. Headless. The spec list in research does not say whether
-- it has SDP element-wise or a LUT: left off (the nv_small defaults).
return {
    model = "nvdla",
    name = "nv_medium_512",
    base = "nv_small",
    doc = "NVDLA nv_medium_512: 512 INT8 MACs, 512 KiB CBUF, 16 B/cycle DBB, headless",
    mac_atomic_c = 32,
    mac_atomic_k = 16,
    cbuf_banks = 32,
    cbuf_bank_kb = 16,
    sdp_throughput = 4,
    pdp_throughput = 2,
    cdp_throughput = 2,
    dbb_bytes = 16,
    dbb_latency = 256,
    ["dram.gbps"] = 10,
    sources = {
        mac_atomic_c = "nv_medium_512.spec: atomic-C 32",
        mac_atomic_k = "nv_medium_512.spec: atomic-K 16",
        cbuf_bank_kb = "nv_medium_512.spec: 32 B x 512 entries",
        sdp_throughput = "nv_medium_512.spec: SDP 4",
        pdp_throughput = "nv_medium_512.spec: PDP 2",
        cdp_throughput = "nv_medium_512.spec: CDP 2",
        dbb_bytes = "nv_medium_512.spec: 128-bit interface",
        dbb_latency = "nv_medium_512.spec: latency 256",
        ["dram.gbps"] = "Primer, 512-MAC row: 10 GB/s",
    },
}
