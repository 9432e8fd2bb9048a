-- HiSilicon SS928V100 (= Hi3403V100) image-analysis engine 1, "NNN" (ACL API, ATC
-- --soc_version=OPTG): a DaVinci AI Core of the V200 generation (the 310P-like ISA; CANN knows
-- the SoC as SD3403), 4.8 TOPS INT8, INT4/INT8/FP16 (research/soc-facts.md §1.1). Clock, cube
-- shape and buffers are not published. The openEuler board doc calls it a "dlite" core; taken
-- as DaVinci Lite: the Lite cube of the CANN ES3796 stub (16x16x8 fp16, 16x32x8 int8 = 4096
-- INT8 MACs, research/davinci.md §1.1/§1.5) and its buffers; the clock follows from the TOPS:
-- 4.8e12 / (2 x 4096) = 586 MHz. SD3403 accumulates fp16 in fp16 and has no fp32 vector Add
-- (research/davinci.md §1.2, §1.3). DRAM: 2 x 32-bit LPDDR4X at up to 3733 MT/s = 29.9 GB/s
-- peak, shared with the other engine and the CPUs (soc-facts §1.3). The HiSpark figures are
-- A8W8 batch 1 (scripts/validation/davinci.lua): the per-kernel launch and the sustained DRAM
-- efficiency are calibrated on its two figures (ResNet-50, MobileNetV2) only.
return {
    model = "davinci",
    name = "ss928_nnn",
    doc = "HiSilicon SS928V100/Hi3403V100 NNN engine: one DaVinci Lite core (16x16x8 cube, 586 MHz = 4.8 TOPS INT8; assumption)",
    cores = 1,
    freq_mhz = 586,
    cube_m = 16, cube_k = 16, cube_n = 8, int8_k_mult = 2,
    fp16_acc = true, fp32_vector = false,
    vector_bytes = 128,
    l1_kb = 512, l0a_kb = 32, l0b_kb = 32, l0c_kb = 128, ub_kb = 192,
    l2_kb = 0,
    ddr_rd_bpc = 40, ddr_wr_bpc = 40,
    l1_l0a_bpc = 512, l1_l0b_bpc = 256, l0c_ub_bpc = 512,
    event_ids = 4,
    aipp = "core",
    aipp_resize = true,
    dtype = "int8",
    ts_launch_us = 38.62,
    ["dram.gbps"] = 29.9,
    ["dram.efficiency"] = 0.3847,
    ["dram.capacity_mb"] = 4096,
    ["dram.os_mb"] = 512,
    ["host.cpu"] = "cortex-a55-linux",
    ["host.cores"] = 4,
    ["energy.node_nm"] = 12,
    ["energy.dram"] = "lpddr4x",
    ["energy.other_mw"] = 4400,
    sources = {
        ["energy.other_mw"] = "estimate: 5.2 W typical at 4K30 + 4 TOPS for the whole SoC (research/soc-facts.md §1.1) minus the simulated NPU + DRAM (~0.8 W): ISP, video codec, A55 cores, PHYs",
        ["energy.node_nm"] = "research/soc-facts.md §1.1: 12 nm (product brief)",
        ["energy.dram"] = "research/soc-facts.md §1.3: 2 x 32-bit LPDDR4/4X",
        aipp_resize = "assumption: research/davinci.md §5 gives resize to the SoCs newer than Ascend 310; this part is of the SD3403/V200 group (soc-facts.md §1)",
        ["dram.capacity_mb"] = "soc-facts.md §5: SS928 HiEuler Pi 4 or 8 GB LPDDR4X; the 4 GB board assumed",
        ["dram.os_mb"] = "assumption: Linux + MMZ carve-outs of the other media blocks ~512 MB",
        cores = "soc-facts §1.1: 'NNN(dlite 核)x1' (openEuler hardware_features.rst)",
        freq_mhz = "assumption derived from TOPS: 4.8 TOPS INT8 (soc-facts §1.1) / (2 x 4096 INT8 MACs of a Lite cube) = 586 MHz; clock not published",
        cube_n = "assumption: 'dlite' read as DaVinci Lite, 16x16x8 as the ES3796 Lite stub (research/davinci.md §1.1, §1.5)",
        int8_k_mult = "research/davinci.md §1.2: int8 cube 16x32x(n) on DaVinci; doubling on Lite not confirmed (assumption)",
        fp16_acc = "research/davinci.md §1.2: SD3403 accumulates fp16 conv in fp16",
        fp32_vector = "research/davinci.md §1.3: SD3403 Add has no fp32",
        vector_bytes = "research/davinci.md §1.1: Lite vector 128 B (assumption for this core)",
        l1_kb = "assumption: ES3796 Lite stub 524288 (research/davinci.md §1.5); not published for SS928",
        l0a_kb = "assumption: ES3796 Lite stub",
        l0b_kb = "assumption: ES3796 Lite stub",
        l0c_kb = "assumption: ES3796 Lite stub",
        ub_kb = "assumption: ES3796 Lite stub",
        l2_kb = "assumption: no L2 (Lite stub); soc-facts §1.1: on-chip buffers not published",
        ddr_rd_bpc = "assumption: ES3796 stub ddr 40 B/cycle (research/davinci.md §1.6)",
        ddr_wr_bpc = "assumption: ES3796 stub ddr 40 B/cycle",
        l1_l0a_bpc = "assumption: ES3796 stub 512",
        l1_l0b_bpc = "assumption: ES3796 stub 256",
        l0c_ub_bpc = "assumption: ES3796 stub 512",
        event_ids = "assumption as ascend310",
        aipp = "assumption: the HiSpark samples compile with AIPP (AAPP on SS928, research/davinci.md §3) and time the model only",
        dtype = "HiSpark ModelZoo figures are A8W8 (issue #14)",
        ts_launch_us = "assumption, calibrated on HiSpark ResNet-50 133.10 / MobileNetV2 311.80 fps (NNN) with dram.efficiency",
        ["dram.gbps"] = "soc-facts §1.3: 2 x 32-bit LPDDR4X at 3733 MT/s = 29.9 GB/s peak",
        ["dram.efficiency"] = "assumption, calibrated on the two HiSpark NNN figures (sustained share of the peak)",
        ["host.cpu"] = "soc-facts §1.3: quad Cortex-A55 @ 1.4 GHz",
        ["host.cores"] = "soc-facts §1.3: 4",
    },
}
