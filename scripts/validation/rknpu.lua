-- RKNPU published figures (../shared/research/rknpu.md and issue #13). Issue #5 checked the
-- first ten rows: RK3588 single-core INT8 mobilenetv2/resnet50 within 15 %, RK3566/68 within
-- 20 %, the MobileNetV1 core-mask sweep within 15 % (a documented miss: an older runtime, see
-- docs/models/rknpu.md §5), Qwen2-0.5B w8a8 decode and prefill within 20 %. Issue #13 adds the
-- zoo's YOLO rows, two eval_perf layer rows and larger LLMs, each within 10 % (layer rows 15 %).
-- Rockchip's per-layer profiler "NPU Cycles" of research §2.4 are reproduced exactly by the
-- model's npu_cycles column (tests/unit/rknpu_test.c, profiler_npu_cycles); they are not rows here
-- because the report compares whole-layer cycles. Further figures are kept aside for blind
-- validation. `calibration` names every parameter fitted on these rows (format:
-- scripts/validate.lua); nothing is fitted per network.
local zoo = "rknn_model_zoo v2.3.2 README @bad6c73 (research §2.1)"
local zoo13 = "rknn_model_zoo README v2.3.2 @bad6c7334531becaf90a561988519b7bec34d0ab (issue #13)"
local notes = "NOTES ch06, ROCK 5B kernel 6.1, rknn_api_demo (research §2.2)"
local llm13 = "rknn-llm benchmark.md v1.3.0 @878f9361fd3afa7e167b7079918918f78d2c1c2a (issue #13)"
local perf = "rknn-toolkit2 1.6.0 eval_perf, RK3588 core 0 (perf_debug), yolov8n at 1920x1920, "
  .. "channyHuang/channyHuang.github.io _posts/linuxAndWin/"
  .. "2024-04-08-Push_Yolov8n_Pre-train_Model_To_rk3588_(2).md @8195d325"
local y10 = "issue THU-MIG/yolov10#115 eval_perf (SDK 2.0.0b0, RK3588M at ~800 MHz; research §2.4 "
  .. "'Newer runtime format')"
local mc = "Martin Chang, Benchmarking RK3588 NPU matrix multiplication performance EP3 (research §2.3, MC)"
-- The yolov10 log's layers each carry perf_debug's fixed per-layer cost (Conv 117, 64->64 1x1
-- without activation: 178 us for 12,800 NPU cycles). A layer's time minus row 117's cancels it:
-- (Time - 178 us) x 800 MHz, compared with the same difference of the simulated layers
-- (scripts/validation/rknpu_profiler.npg names them r117..r121).
local function y10row(n, what, us)
  return { id = "rk3588m.yolov10.l" .. n, family = "eval_perf SDK 2.0.0b0",
    arch = "rk3588", graph = "scripts/validation/rknpu_profiler.npg",
    set = { core_mask = "0", io = "zerocopy", freq_mhz = 800 }, layer = "r" .. n, base = "r117",
    metric = "cycles", published = (us - 178) * 800, tol = 0.15,
    source = string.format("%s: ID %d %s, %d us, minus ID 117's 178 us", y10, n, what, us),
    note = string.format("(%d - 178) us x 800 MHz", us) }
end
-- The zoo's YOLO rows (docs/models/rknpu.md §14). HEAD: the network as rknn_model_zoo converts
-- it, a fact of the measured network: airockchip/yolov5 and airockchip/ultralytics_yolov8 move
-- the post-processing out of the model (recalled, not in research/), the zoo scripts' head=rknn.
-- IO: whether the zoo's FPS includes the CPU's layout conversion of inputs and outputs is not
-- stated in research/ ("model inference only, without pre/post-processing", §2.1; RT-API's
-- RKNN_QUERY_PERF_RUN "total without I/O", §2.4, is not said to be what the zoo reads), so the
-- rows keep the runtime's default path, io=normal, as before.
local HEAD, IO = "rknn", "normal"
local yolo = { core_mask = "0", io = IO }
local rk3588llm = { runtime = "rkllm", dtype = "int8", core_mask = "0_1_2" }
local rk3576w8 = { runtime = "rkllm", dtype = "int8", core_mask = "0_1" }
local rk3576w4 = { runtime = "rkllm", dtype = "w4a16", core_mask = "0_1" }
local rows = {
  { id = "rk3588.mobilenet_v2", family = "rknn_model_zoo v2.3.2",
    arch = "rk3588", graph = "mobilenet_v2", set = { core_mask = "0" }, metric = "fps",
    published = 450.7, tol = 0.15, source = zoo .. ", RK3588 single core INT8" },
  { id = "rk3588.resnet50", family = "rknn_model_zoo v2.3.2",
    arch = "rk3588", graph = "resnet50", set = { core_mask = "0" }, metric = "fps",
    published = 110.1, tol = 0.15, source = zoo .. ", RK3588 single core INT8" },
  { id = "rk3566.mobilenet_v2", family = "rknn_model_zoo v2.3.2",
    arch = "rk3566", graph = "mobilenet_v2", metric = "fps",
    published = 180.7, tol = 0.20, source = zoo .. ", RK3566/RK3568 INT8" },
  { id = "rk3566.resnet50", family = "rknn_model_zoo v2.3.2",
    arch = "rk3566", graph = "resnet50", metric = "fps",
    published = 37.9, tol = 0.20, source = zoo .. ", RK3566/RK3568 INT8" },
  { id = "rk3576.mobilenet_v2", family = "rknn_model_zoo v2.3.2",
    arch = "rk3576", graph = "mobilenet_v2", set = { core_mask = "0" }, metric = "fps",
    published = 467.0, tol = 0.15, source = zoo .. ", RK3576 single core INT8" },
  { id = "rk3576.resnet50", family = "rknn_model_zoo v2.3.2",
    arch = "rk3576", graph = "resnet50", set = { core_mask = "0" }, metric = "fps",
    published = 99.0, tol = 0.15, source = zoo .. ", RK3576 single core INT8" },
  { id = "rk3562.mobilenet_v2", family = "rknn_model_zoo v2.3.2",
    arch = "rk3562", graph = "mobilenet_v2", metric = "fps",
    published = 281.3, tol = 0.20, source = zoo .. ", RK3562 INT8" },
  { id = "rk3562.resnet50", family = "rknn_model_zoo v2.3.2",
    arch = "rk3562", graph = "resnet50", metric = "fps",
    published = 54.9, tol = 0.20, source = zoo .. ", RK3562 INT8" },
  { id = "rk3588.yolov5s", family = "rknn_model_zoo v2.3.2",
    arch = "rk3588", graph = "yolov5s", args = "head=" .. HEAD, set = yolo, metric = "fps",
    published = 48.4, tol = 0.10, source = zoo13 .. ", RK3588 single core INT8, 640x640",
    note = "SiLU activations; the head as the zoo converts it (conv + sigmoid per scale)" },
  { id = "rk3588.yolov5s_relu", family = "rknn_model_zoo v2.3.2",
    arch = "rk3588", graph = "yolov5s", args = "act=relu,head=" .. HEAD, set = yolo,
    metric = "fps", published = 66.1, tol = 0.10,
    source = zoo13 .. ", RK3588 single core INT8, 640x640",
    note = "the same network with ReLU activations" },
  { id = "rk3588.yolov8n", family = "rknn_model_zoo v2.3.2",
    arch = "rk3588", graph = "yolov8n", args = "head=" .. HEAD, set = yolo, metric = "fps",
    published = 73.5, tol = 0.10, source = zoo13 .. ", RK3588 single core INT8, 640x640",
    note = "the head as the zoo converts it (box, classes, score sum per scale; no DFL)" },
  { id = "rk3588.yolov8n_1920.l22", family = "eval_perf rknn-toolkit2 1.6.0",
    arch = "rk3588", graph = "yolov8n", args = "size=1920", set = { core_mask = "0" },
    layer = "model.5", metric = "cycles", published = 1640000, tol = 0.15,
    source = perf .. " line 323: layer 22, Conv 64->128 3x3 s2 240x240 -> 120x120, 1640 us, "
      .. "MAC use 63.22 % (1,036,800 ideal cycles)",
    note = "1640 us at 1 GHz; our model.5" },
  { id = "rk3588.yolov8n_1920.l25", family = "eval_perf rknn-toolkit2 1.6.0",
    arch = "rk3588", graph = "yolov8n", args = "size=1920", set = { core_mask = "0" },
    layer = "model.6.m.0.cv1", metric = "cycles", published = 841000, tol = 0.15,
    source = perf .. " line 326: layer 25, Conv 64->64 3x3 at 120x120, 841 us",
    note = "841 us at 1 GHz; our model.6.m.0.cv1 (the first 64->64 3x3 after layer 22)" },
  y10row(118, "ConvExSwish 256->128 1x1 at 40x40", 302),
  y10row(119, "ConvExSwish depthwise 3x3 256 ch at 20x20", 224),
  y10row(120, "ConvExSwish depthwise 3x3 128 ch at 40x40", 290),
  y10row(121, "ConvExSwish 256->512 1x1 at 20x20", 289),
  { id = "rk3588.matmul_int8", family = "rknn_matmul API benchmark",
    arch = "rk3588", graph = "scripts/validation/rk_matmul_128x1024x8192.npg",
    set = { core_mask = "0", io = "zerocopy" }, metric = "ms", published = 1.193, tol = 0.15,
    source = mc .. ": int8 peak ~1.8 TOPS around 128x1024x8192, one core, native layout",
    note = "2 x 128 x 1024 x 8192 / 1.8 TOPS" },
  { id = "rk3588.matmul_fp16", family = "rknn_matmul API benchmark",
    arch = "rk3588", graph = "scripts/validation/rk_matmul_128x1024x8192.npg",
    set = { core_mask = "0", io = "zerocopy", dtype = "fp16" }, metric = "ms", published = 2.386,
    tol = 0.15,
    source = mc .. ": fp16 ~900 GFLOPS at 128x1024x8192 in the native layout, one core",
    note = "2 x 128 x 1024 x 8192 / 0.9 TFLOPS" },
  { id = "rk3588.mobilenet_v1.core0", family = "NOTES ch06 rknn_api_demo",
    arch = "rk3588", graph = "mobilenet_v1", set = { core_mask = "0" }, metric = "ms",
    published = 2.72, tol = 0.15, source = notes .. ", core0" },
  { id = "rk3588.mobilenet_v1.core0_1", family = "NOTES ch06 rknn_api_demo",
    arch = "rk3588", graph = "mobilenet_v1", set = { core_mask = "0_1" }, metric = "ms",
    published = 2.21, tol = 0.15, source = notes .. ", cores 0+1" },
  { id = "rk3588.mobilenet_v1.core0_1_2", family = "NOTES ch06 rknn_api_demo",
    arch = "rk3588", graph = "mobilenet_v1", set = { core_mask = "0_1_2" }, metric = "ms",
    published = 1.53, tol = 0.15, source = notes .. ", cores 0+1+2" },
  { id = "rk3588.qwen2_0_5b.decode", family = "rknn-llm v1.3.0 benchmark",
    arch = "rk3588", graph = "qwen2_0_5b_decode", args = "kv=160", set = rk3588llm,
    metric = "fps", published = 41.58, tol = 0.20,
    source = "rknn-llm benchmark.md v1.3.0 @878f936, Qwen2 0.5B w8a8 tokens/s (research §3)",
    note = "one decode step with 160 cached tokens (seqlen 128 + 64 new)" },
  { id = "rk3588.qwen2_0_5b.prefill128", family = "rknn-llm v1.3.0 benchmark",
    arch = "rk3588", graph = "qwen2_0_5b_prefill", args = "tokens=128", set = rk3588llm,
    metric = "ms", published = 145.90, tol = 0.20,
    source = "rknn-llm benchmark.md v1.3.0 @878f936, Qwen2 0.5B w8a8 TTFT (research §3)",
    note = "prefill of the 128-token prompt" },
  { id = "rk3588.qwen2_0_5b.prefill64", family = "rknn-llm v1.2.0 README",
    arch = "rk3588", graph = "qwen2_0_5b_prefill", args = "tokens=64", set = rk3588llm,
    metric = "ms", published = 79, tol = 0.20,
    source = "rknn-llm README v1.2.0 @cb5b341, Qwen2-0.5B w8a8 TTFT (research §3)",
    note = "prefill of the 64-token prompt" },
  { id = "rk3588.tinyllama_1_1b.decode", family = "rknn-llm v1.3.0 benchmark",
    arch = "rk3588", graph = "tinyllama_1_1b_decode", args = "kv=160", set = rk3588llm,
    metric = "fps", published = 24.43, tol = 0.10,
    source = llm13 .. ", RK3588 TinyLlama-1.1B w8a8 tokens/s", note = "decode with 160 cached tokens" },
  { id = "rk3588.tinyllama_1_1b.prefill128", family = "rknn-llm v1.3.0 benchmark",
    arch = "rk3588", graph = "tinyllama_1_1b_prefill", args = "tokens=128", set = rk3588llm,
    metric = "ms", published = 243.93, tol = 0.10,
    source = llm13 .. ", RK3588 TinyLlama-1.1B w8a8 TTFT", note = "prefill of the 128-token prompt" },
  { id = "rk3588.qwen2_5_1_5b.decode", family = "rknn-llm v1.3.0 benchmark",
    arch = "rk3588", graph = "qwen2_5_1_5b_decode", args = "kv=160", set = rk3588llm,
    metric = "fps", published = 16.69, tol = 0.10,
    source = llm13 .. ", RK3588 Qwen2.5-1.5B w8a8 tokens/s", note = "decode with 160 cached tokens" },
  { id = "rk3588.qwen2_5_1_5b.prefill128", family = "rknn-llm v1.3.0 benchmark",
    arch = "rk3588", graph = "qwen2_5_1_5b_prefill", args = "tokens=128", set = rk3588llm,
    metric = "ms", published = 378.31, tol = 0.10,
    source = llm13 .. ", RK3588 Qwen2.5-1.5B w8a8 TTFT", note = "prefill of the 128-token prompt" },
  { id = "rk3576.qwen2_0_5b_w4a16.decode", family = "rknn-llm v1.3.0 benchmark",
    arch = "rk3576", graph = "qwen2_0_5b_decode", args = "kv=160", set = rk3576w4,
    metric = "fps", published = 32.56, tol = 0.10,
    source = llm13 .. ", RK3576 Qwen2-0.5B w4a16 tokens/s", note = "decode with 160 cached tokens" },
  { id = "rk3576.qwen2_0_5b_w4a16.prefill128", family = "rknn-llm v1.3.0 benchmark",
    arch = "rk3576", graph = "qwen2_0_5b_prefill", args = "tokens=128", set = rk3576w4,
    metric = "ms", published = 342.37, tol = 0.10,
    source = llm13 .. ", RK3576 Qwen2-0.5B w4a16 TTFT", note = "prefill of the 128-token prompt" },
  { id = "rk3576.qwen2_0_5b_w8a8.decode", family = "rknn-llm v1.3.0 benchmark",
    arch = "rk3576", graph = "qwen2_0_5b_decode", args = "kv=160", set = rk3576w8,
    metric = "fps", published = 21.73, tol = 0.10,
    source = llm13 .. ", RK3576 Qwen2-0.5B w8a8 tokens/s", note = "decode with 160 cached tokens" },
  { id = "rk3576.qwen2_0_5b_w8a8.prefill128", family = "rknn-llm v1.3.0 benchmark",
    arch = "rk3576", graph = "qwen2_0_5b_prefill", args = "tokens=128", set = rk3576w8,
    metric = "ms", published = 344.27, tol = 0.10,
    source = llm13 .. ", RK3576 Qwen2-0.5B w8a8 TTFT", note = "prefill of the 128-token prompt" },
}
local calibration = {
  { name = "RK3588 per-task costs, per-core DMA and sustained DRAM rate",
    params = { reg_cycles = { lo = 1, hi = 1000 },
               dma_bytes = { lo = 4, hi = 16 }, ["dram.efficiency"] = { lo = 0.5, hi = 0.95 },
               pass_cycles = { lo = 0, hi = 512 } },
    archs = { "rk3588" },
    rows = { "rk3588.mobilenet_v2", "rk3588.resnet50", "rk3588.yolov5s_relu",
             "rk3588.qwen2_0_5b.decode", "rk3588.tinyllama_1_1b.decode",
             "rk3588.qwen2_5_1_5b.decode", "rk3588.matmul_int8", "rk3588.matmul_fp16" },
    source = "docs/models/rknpu.md §4. No figure exists for the register cost (assumption; " ..
             "1 to 1000 cycles an entry: sanity limits); task_cycles is not fitted (every task " ..
             "applies at least 14 entries, so these rows cannot tell a task's fixed cost from " ..
             "its entries': the fit wandered over 10-3000 cycles). The weight-pass minimum " ..
             "(assumption, §3b; 0 = none to 512 cycles: a sanity limit) separates " ..
             "the small-spatial, weight-heavy ResNet-50 from MobileNetV2 and YOLO. The " ..
             "decode rows stream 0.49-1.54 GB of int8 weights a token, so tokens/s x weight " ..
             "bytes (20.5-25.8 GB/s) is the rate RKLLM reaches from DRAM: they pin the per-core " ..
             "AXI rate (4 B/cycle: below any figure; 16: the profiler's read+write model, " ..
             "research §1.5) and the sustained fraction of the 33.8 GB/s LPDDR4X peak (0.5 to " ..
             "0.95: refresh and bank turnarounds never leave 100 %); the CNN rows, which do not " ..
             "stream, pin the per-task costs against them (yolov5s with ReLU: no LUT stage)." },
  { name = "RKNPU DPU LUT throughput",
    params = { lut_rate = { lo = 1, hi = 16 } },
    archs = { "rk3588" },
    rows = { "rk3588.yolov5s", "rk3588.yolov8n", "rk3588.yolov8n_1920.l22",
             "rk3588.yolov8n_1920.l25", "rk3588m.yolov10.l118", "rk3588m.yolov10.l119",
             "rk3588m.yolov10.l120", "rk3588m.yolov10.l121" },
    source = "docs/models/rknpu.md §3: outputs per cycle of the DPU's LUT stage (one pass for " ..
             "a sigmoid, two for SiLU = x*sigmoid(x)). NVDLA nv_full's SDP runs its LUT stage at " ..
             "4 elements/cycle (research nvdla §2.2, the preset value before the fit); 1 to 16 " ..
             "(the BS/BN rate) are the physical limits. The SiLU networks and the two eval_perf " ..
             "layers (SiLU convs at 1920x1920) constrain it; the yolov5s ReLU row, in the entry " ..
             "above, holds the rest of the network fixed." },
  { name = "RK3566 per-core DMA rate",
    params = { dma_bytes = { lo = 0.5, hi = 8.448 } },
    archs = { "rk3566" },
    rows = { "rk3566.mobilenet_v2", "rk3566.resnet50" },
    source = "models/presets/rk3566.lua: no published figure for this NPU's DMA. 8.448 B/cycle " ..
             "is the whole DRAM peak at the 1 GHz NPU clock (32-bit LPDDR4 at 2112 MT/s), which " ..
             "one port cannot exceed; 0.5 B/cycle is far below what any AXI port of the family " ..
             "sustains (RK3588: 8)." },
  { name = "RK3562 per-core DMA rate",
    params = { dma_bytes = { lo = 0.5, hi = 12.48 } },
    archs = { "rk3562" },
    rows = { "rk3562.mobilenet_v2", "rk3562.resnet50" },
    source = "models/presets/rk3562.lua: no published figure for this NPU's DMA (the preset " ..
             "scaled RK3566's by the DDR clock before this fit). 12.48 B/cycle is the whole DRAM " ..
             "peak at 1 GHz (32-bit at 3120 MT/s), 0.5 far below any port of the family." },
  { name = "RK3576 per-core DMA rate and sustained DRAM rate",
    params = { dma_bytes = { lo = 1, hi = 16.9 }, ["dram.efficiency"] = { lo = 0.5, hi = 0.95 } },
    archs = { "rk3576" },
    rows = { "rk3576.mobilenet_v2", "rk3576.resnet50", "rk3576.qwen2_0_5b_w8a8.decode",
             "rk3576.qwen2_0_5b_w4a16.decode" },
    source = "models/presets/rk3576.lua: no published DMA figure. The decode rows stream the " ..
             "weights (w8a8 0.49 GB a token, w4a16 0.31 GB with its 8-bit output head) from a " ..
             "32-bit 16.9 GB/s DRAM: they pin the sustained fraction of that peak (0.5 to 0.95, " ..
             "as RK3588's), the CNN rows the per-core port; 16.9 B/cycle is the whole peak at " ..
             "1 GHz, 1 far below any port of the family." },
  { name = "RKNPU conv weight-load rate",
    params = { wload = { lo = 0.1, hi = 1 } },
    archs = { "rk3566", "rk3562", "rk3576" },
    rows = { "rk3566.mobilenet_v2", "rk3566.resnet50", "rk3562.mobilenet_v2", "rk3562.resnet50",
             "rk3576.mobilenet_v2", "rk3576.resnet50" },
    source = "docs/models/rknpu.md §15: the rate of a conv task's weight load into the CBUF " ..
             "(before the task computes) as a fraction of the chip's dma_bytes, one value " ..
             "for the three siblings (assumption; 0.1 to 1 = the port: sanity limits). " ..
             "RK3588 keeps 1: its rows were fitted so, and its weight path is the one " ..
             "published to differ (weight compression, research §1.5). The zoo pairs differ " ..
             "most in weight bytes (ResNet-50 25.8 MB, MobileNetV2 3.6 MB), so with each " ..
             "chip's DMA rate (entries above) they price the weight loads apart." },
}
return { rows = rows, calibration = calibration }
