-- HiSilicon SS928V100 (= Hi3403V100) image-analysis engine 2, "SVP_NNN" (SVP ACL API, ATC
-- --soc_version=SS928V100): HiSilicon's own "dpico" NN core, 5.6 TOPS INT8, INT8/INT16
-- (research/soc-facts.md §1.1). It is not a DaVinci core, but it runs the same OM/ATC flow and
-- is simulated here as one: a DaVinci Max-shaped cube (16x16x16 fp16, 16x32x16 int8 = 8192
-- INT8 MACs) at the clock the TOPS imply, 5.6e12 / (2 x 8192) = 342 MHz, with the Lite buffers
-- of the CANN ES3796 stub and no L2 (all assumptions: clock, MACs and SRAM are not
-- published). It computes A8W8 on its CUBE ops and FP16 on the others (compile_mode 0/5,
-- soc-facts §1.2): fp16 vector ops, no fp32. DRAM: 2 x 32-bit LPDDR4X at up to 3733 MT/s =
-- 29.9 GB/s peak (soc-facts §1.3). The per-kernel launch and the sustained DRAM efficiency
-- are calibrated on its two HiSpark figures (ResNet-50, MobileNetV2) only.
return {
    model = "davinci",
    name = "ss928_svp",
    doc = "HiSilicon SS928V100/Hi3403V100 SVP_NNN engine as one DaVinci-shaped core (16x16x16 cube, 342 MHz = 5.6 TOPS INT8; assumption)",
    cores = 1,
    freq_mhz = 342,
    cube_m = 16, cube_k = 16, cube_n = 16, int8_k_mult = 2,
    fp16_acc = true, fp32_vector = false,
    vector_bytes = 128,
    l1_kb = 512, l0a_kb = 32, l0b_kb = 32, l0c_kb = 128, ub_kb = 192,
    l2_kb = 0,
    ddr_rd_bpc = 40, ddr_wr_bpc = 40,
    l1_l0a_bpc = 512, l1_l0b_bpc = 256, l0c_ub_bpc = 512,
    event_ids = 4,
    aipp = "core",
    dtype = "int8",
    ts_launch_us = 5,
    ["dram.gbps"] = 29.9,
    ["dram.efficiency"] = 0.7,
    ["host.cpu"] = "cortex-a55-linux",
    ["host.cores"] = 4,
    sources = {
        cores = "soc-facts §1.1: 'SVP_NNN（dpico 核）x1'",
        freq_mhz = "assumption derived from TOPS: 5.6 TOPS INT8 (soc-facts §1.1) / (2 x 8192 INT8 MACs) = 342 MHz; clock not published",
        cube_n = "assumption: a 16x16x16 cube (8192 INT8 MACs); the dpico array shape is not published (soc-facts §1.1)",
        int8_k_mult = "assumption: INT8 doubles the fp16 MACs as on DaVinci (research/davinci.md §1.2)",
        fp16_acc = "assumption: as the SS928 NNN core (SD3403, research/davinci.md §1.2)",
        fp32_vector = "soc-facts §1.2: non-CUBE ops run in FP16 (compile_mode 5/6); no fp32",
        vector_bytes = "assumption: Lite vector 128 B (research/davinci.md §1.1)",
        l1_kb = "assumption: ES3796 Lite stub 524288 (research/davinci.md §1.5); SVP_NNN SRAM not published",
        l0a_kb = "assumption: ES3796 Lite stub",
        l0b_kb = "assumption: ES3796 Lite stub",
        l0c_kb = "assumption: ES3796 Lite stub",
        ub_kb = "assumption: ES3796 Lite stub",
        l2_kb = "assumption: no L2 (soc-facts §1.1: on-chip buffers not published)",
        ddr_rd_bpc = "assumption: ES3796 stub ddr 40 B/cycle (research/davinci.md §1.6)",
        ddr_wr_bpc = "assumption: ES3796 stub ddr 40 B/cycle",
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
