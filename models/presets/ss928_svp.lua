-- HiSilicon SS928V100 (= Hi3403V100) image-analysis engine 2, "SVP_NNN" (SVP ACL API, ATC
-- --soc_version=SS928V100): HiSilicon's own "dpico" NN core, 5.6 TOPS INT8, INT8/INT16
-- (research/soc-facts.md §1.1). It is not a DaVinci core, but it runs the same OM/ATC flow and
-- is simulated here as one: a DaVinci Lite-shaped cube (16x16x8 fp16, 16x32x8 int8 = 4096
-- INT8 MACs) at the clock the TOPS imply, 5.6e12 / (2 x 4096) = 684 MHz, with the Lite buffers
-- of the CANN ES3796 stub, the 310's per-core DDR path rates and a 2 MB on-chip feature-map
-- buffer modelled as an L2 (all assumptions: clock, MACs and SRAM are not published; without
-- on-chip activations no launch cost or DRAM efficiency reaches the MobileNetV2 figure, see
-- docs/models/davinci.md). It computes A8W8 on its CUBE ops and FP16 on the others (compile_mode 0/5,
-- soc-facts §1.2): fp16 vector ops, no fp32. DRAM: 2 x 32-bit LPDDR4X at up to 3733 MT/s =
-- 29.9 GB/s peak (soc-facts §1.3). The per-kernel launch and the sustained DRAM efficiency
-- are calibrated on its two HiSpark figures (ResNet-50, MobileNetV2) only.
return {
    model = "davinci",
    name = "ss928_svp",
    doc = "HiSilicon SS928V100/Hi3403V100 SVP_NNN engine as one DaVinci-shaped core (16x16x8 cube, 684 MHz = 5.6 TOPS INT8; assumption)",
    cores = 1,
    freq_mhz = 684,
    cube_m = 16, cube_k = 16, cube_n = 8, int8_k_mult = 2,
    fp16_acc = true, fp32_vector = false,
    vector_bytes = 128,
    l1_kb = 512, l0a_kb = 32, l0b_kb = 32, l0c_kb = 128, ub_kb = 192,
    l2_kb = 2048, l2_rd_bpc = 128, l2_wr_bpc = 64,
    ddr_rd_bpc = 67, ddr_wr_bpc = 64,
    l1_l0a_bpc = 512, l1_l0b_bpc = 256, l0c_ub_bpc = 512,
    event_ids = 4,
    aipp = "core",
    aipp_resize = true,
    dtype = "int8",
    ts_launch_us = 0.5,
    ["dram.gbps"] = 29.9,
    ["dram.capacity_mb"] = 4096,
    ["dram.os_mb"] = 512,
    ["dram.efficiency"] = 0.9119,
    ["host.cpu"] = "cortex-a55-linux",
    ["host.cores"] = 4,
    sources = {
        aipp_resize = "assumption: research/davinci.md §5 gives resize to the SoCs newer than Ascend 310; this part is of the SD3403/V200 group (soc-facts.md §1)",
        ["dram.capacity_mb"] = "soc-facts.md §5: SS928 HiEuler Pi 4 or 8 GB LPDDR4X; the 4 GB board assumed",
        ["dram.os_mb"] = "assumption: Linux + MMZ carve-outs of the other media blocks ~512 MB",
        cores = "soc-facts §1.1: 'SVP_NNN（dpico 核）x1'",
        freq_mhz = "assumption derived from TOPS: 5.6 TOPS INT8 (soc-facts §1.1) / (2 x 4096 INT8 MACs) = 684 MHz; clock not published",
        cube_n = "assumption: a 16x16x8 (Lite) cube, 4096 INT8 MACs; the dpico array shape is not published (soc-facts §1.1). A 16x16x16 cube at 342 MHz gives the same TOPS but cannot reach the MobileNetV2 figure (depthwise waste, vector and launch costs in cycles)",
        int8_k_mult = "assumption: INT8 doubles the fp16 MACs as on DaVinci (research/davinci.md §1.2)",
        fp16_acc = "assumption: as the SS928 NNN core (SD3403, research/davinci.md §1.2)",
        fp32_vector = "soc-facts §1.2: non-CUBE ops run in FP16 (compile_mode 5/6); no fp32",
        vector_bytes = "assumption: Lite vector 128 B (research/davinci.md §1.1)",
        l1_kb = "assumption: ES3796 Lite stub 524288 (research/davinci.md §1.5); SVP_NNN SRAM not published",
        l0a_kb = "assumption: ES3796 Lite stub",
        l0b_kb = "assumption: ES3796 Lite stub",
        l0c_kb = "assumption: ES3796 Lite stub",
        ub_kb = "assumption: ES3796 Lite stub",
        l2_kb = "assumption forced by the figures: on-chip buffers are not published (soc-facts §1.1), but without activations kept on chip MobileNetV2 stays below ~1030 fps at any launch cost and DRAM efficiency (published 1278.63); 2 MB is the smallest power of two that reaches it",
        l2_rd_bpc = "assumption: as the Ascend 310's L2 (research/davinci.md §1.6)",
        l2_wr_bpc = "assumption: as the Ascend 310's L2",
        ddr_rd_bpc = "assumption: Ascend 310 ini fixtures 67 B/cycle (research/davinci.md §1.6); the Lite stub's 40 B/cycle caps a 684 MHz core below the DRAM",
        ddr_wr_bpc = "assumption: Ascend 310 ini fixtures 64 B/cycle",
        l1_l0a_bpc = "assumption: ES3796 stub 512",
        l1_l0b_bpc = "assumption: ES3796 stub 256",
        l0c_ub_bpc = "assumption: ES3796 stub 512",
        event_ids = "assumption as ascend310",
        aipp = "assumption: the HiSpark samples compile with AIPP and time the model only",
        dtype = "HiSpark ModelZoo figures are A8W8 (compile_mode 0, soc-facts §1.2)",
        ts_launch_us = "assumption, calibrated on HiSpark ResNet-50 334.22 / MobileNetV2 1278.63 fps (SVP_NNN) with dram.efficiency",
        ["dram.gbps"] = "soc-facts §1.3: 2 x 32-bit LPDDR4X at 3733 MT/s = 29.9 GB/s peak",
        ["dram.efficiency"] = "assumption, calibrated on the two HiSpark SVP_NNN figures (sustained share of the peak)",
        ["host.cpu"] = "soc-facts §1.3: quad Cortex-A55 @ 1.4 GHz",
        ["host.cores"] = "soc-facts §1.3: 4",
    },
}
