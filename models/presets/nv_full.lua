-- NVDLA nv_full (nvdla/hw nvdlav1 spec/defs/nv_full.spec; research/nvdla.md §1.4): as nv_large
-- plus Winograd, weight compression, BDMA, Rubik, batch up to 32 and the INT16/FP16 datapath
-- (1024 MACs at 16 bit). 512-bit DBB, latency 1200. The hardware has Winograd, but the open
-- compiler sets it off for nv_full (TargetConfig.cpp, research §1.4), so `winograd` (= the
-- compiler uses it) is false here; set winograd=true to explore it (MAC utilisation against the
-- direct-convolution peak can then exceed 1).
return {
    model = "nvdla",
    name = "nv_full",
    base = "nv_large",
    doc = "NVDLA nv_full: nv_large + Winograd, weight compression, BDMA, Rubik, batch 32, FP16",
    winograd = false,
    weight_compress = true,
    bdma = true,
    rubik = true,
    batch = 32,
    fp16 = true,
    sources = {
        winograd = "TargetConfig.cpp: the compiler sets Winograd off for nv_full (hardware has it)",
        weight_compress = "nv_full.spec: weight compression",
        bdma = "nv_full.spec: BDMA",
        rubik = "nv_full.spec: Rubik",
        batch = "nv_full.spec: max batch 32",
        fp16 = "nv_full.spec / IAS: 1024 MACs at INT16/FP16",
    },
}
