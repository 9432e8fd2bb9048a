-- NVDLA nv_small_256 (nvdla/hw master spec/defs/nv_small_256.spec; research/nvdla.md §1.4):
-- atomic-C 32 x atomic-K 8 = 256 MACs, CBUF 32 banks x 32 B x 128 = 128 KiB, SDP/PDP/CDP 1,
-- 64-bit interface with latency 64. Headless.
return {
    model = "nvdla",
    name = "nv_small_256",
    base = "nv_small",
    doc = "NVDLA nv_small_256: 256 INT8 MACs, 128 KiB CBUF, 8 B/cycle DBB, headless",
    mac_atomic_c = 32,
    mac_atomic_k = 8,
    cbuf_banks = 32,
    cbuf_bank_kb = 4,
    ["dram.gbps"] = 5,
    sources = {
        mac_atomic_c = "nv_small_256.spec: atomic-C 32",
        mac_atomic_k = "nv_small_256.spec: atomic-K 8",
        cbuf_banks = "nv_small_256.spec: 32 banks",
        cbuf_bank_kb = "nv_small_256.spec: 32 B x 128 entries",
        ["dram.gbps"] = "assumption: the Primer's 256-MAC row (5 GB/s)",
    },
}
