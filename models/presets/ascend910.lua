-- Huawei Ascend 910 (910A): 32 DaVinci "Max" AI Cores at 1000 MHz with the 310's core
-- configuration (HC31), 32 MB L2, 4 x HBM2. Figures: research/davinci.md §0, §1.5, §1.7.
-- The HBM bandwidth, the host CPU figures and the scheduling costs have no source in the
-- research: marked "assumption". Not validated (no published inference figure in the research).
return {
    model = "davinci",
    name = "ascend910",
    doc = "Huawei Ascend 910: 32 AI Cores (Cube 16x16x16) at 1000 MHz, 32 MB L2, HBM2 (bandwidth assumed)",
    base = "ascend310",
    cores = 32,
    freq_mhz = 1000,
    l2_kb = 32768,
    aipp = "none",
    ["dram.gbps"] = 1200,
    ["host.cores"] = 4,
    ["energy.node_nm"] = 7,
    ["energy.dram"] = "hbm2",
    ["energy.other_mw"] = 335000,
    sources = {
        ["energy.other_mw"] = "estimate: 350 W published (research/davinci.md §3 [HW b]) against ~15 W simulated: the 16 nm edge-IP tables scaled to 7 nm do not describe a training die (HBM stacks, 16 TaiShan cores, 32 MB L2, IO die, high-voltage operation); this constant is everything they miss",
        ["energy.node_nm"] = "research/davinci.md §3: 7 nm+ EUV",
        ["energy.dram"] = "research/davinci.md §2: 4 x HBM2 at 1.2 TB/s",
        cores = "research §1.7: npu-smi 'Aicore Count: 32'; HC31 32 cores",
        freq_mhz = "research §1.7: npu-smi 'Aicore Freq(MHZ): 1000'",
        l2_kb = "research §1.5: 32 MB (Linley Newsletter 2019-10-08, third party)",
        aipp = "assumption: training-class part, images prepared by the framework",
        ["dram.gbps"] = "assumption: 4 x HBM2 (research §1.5 Linley) at ~300 GB/s each",
        ["host.cores"] = "assumption: AI CPU cores given to a 910 (16 CPUs per Linley, split unknown)",
    },
}
