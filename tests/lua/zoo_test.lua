-- zoo_test.lua — every zoo network builds, and its MACs and parameters agree with the figures it
-- publishes (within the tolerance it states) and with exact counts worked out independently
-- (tests/lua/zoo.cmake runs it as `npusim script tests/lua/zoo_test.lua`).
--
-- The exact counts below were computed outside the simulator from each architecture's
-- definition (layer shapes by hand / a separate counter), and agree with the reference
-- implementations where those publish exact numbers (torchvision and Ultralytics parameter
-- counts, the LeNet-5 paper's per-layer counts, Qwen2-0.5B's 494,032,768). A change in the
-- graph's counting rules or in a script shows up here as an exact mismatch.
local passed, failed = 0, 0
local cur

local function fail(fmt, ...)
  cur = cur + 1
  print("  " .. string.format(fmt, ...))
end
local function check(cond, fmt, ...)
  if not cond then fail(fmt, ...) end
end
local function run(name, fn)
  cur = 0
  local ok, e = xpcall(fn, debug and debug.traceback or tostring)
  if not ok then fail("error: %s", tostring(e)) end
  if cur == 0 then passed = passed + 1 else failed = failed + 1 end
  print(string.format("%-4s %s", cur == 0 and "ok" or "FAIL", name))
end

-- graph or nil, message (zoo script errors may come back either way: both are accepted)
local function load(name, args)
  local ok, g, msg = pcall(npusim.graph, name, args and { args = args } or nil)
  if not ok then return nil, tostring(g) end
  return g, msg
end

local exact = { -- name = { MACs, params }
  lenet5 = { 328096, 60840 },
  lenet_caffe = { 2293000, 431080 },
  alexnet = { 714188480, 61100840 },
  vgg16 = { 15470264320, 138357544 },
  resnet18 = { 1814073344, 11689512 },
  resnet34 = { 3663761408, 21797672 },
  resnet50 = { 4089184256, 25557032 },
  resnet101 = { 7801405440, 44549160 },
  mobilenet_v1 = { 568740352, 4231976 },
  mobilenet_v2 = { 300774272, 3504872 },
  mobilenet_v3_large = { 216589760, 5483032 },
  -- torchvision classifiers added for issue #14's blind set; parameters equal torchvision's
  -- published counts, MACs counted layer by layer outside the simulator
  resnext50_32x4d = { 4230479872, 25028904 },
  resnext101_32x8d = { 16414015488, 88791336 },
  wide_resnet50_2 = { 11398021120, 68883240 },
  wide_resnet101_2 = { 22753050624, 126886696 },
  vgg11 = { 7609090048, 132863336 },
  vgg19 = { 19632062464, 143667240 },
  densenet121 = { 2834161664, 7978856 },
  efficientnet_b0 = { 385814752, 5288548 },
  efficientnet_b1 = { 686802832, 7794184 },
  efficientnet_b2 = { 1087529456, 9109994 },
  efficientnet_b3 = { 1827141392, 12233232 },
  regnet_x_400mf = { 413812608, 5495976 },
  regnet_y_400mf = { 401842848, 4344144 },
  mobilenet_v3_small = { 56510400, 2542856 },
  shufflenet_v2_x1_0 = { 144907992, 2278604 },
  googlenet = { 1498376192, 6624904 },
  squeezenet = { 818924576, 1248424 },
  squeezenet1_0 = { 818924576, 1248424 },
  squeezenet1_1 = { 349151936, 1235496 },
  -- the YOLO families (yolov5.lua, yolov8.lua: the yaml's layers scaled per model); parameters
  -- equal Ultralytics' model summaries, MACs counted layer by layer outside the simulator
  yolov5 = { 8216780800, 7235389 }, -- scale=s by default
  yolov5n = { 2234060800, 1872157 },
  yolov5s = { 8216780800, 7235389 },
  yolov5m = { 24436224000, 21190557 },
  yolov5l = { 54496870400, 46563709 },
  yolov8 = { 4371993600, 3157200 }, -- scale=n by default
  yolov8n = { 4371993600, 3157200 },
  yolov8s = { 14301312000, 11166560 },
  yolov8m = { 39468364800, 25902640 },
  yolov8l = { 82574259200, 43691520 },
  transformer = { 46642577408, 494032768 },
  qwen2_0_5b_prefill = { 46642577408, 494032768 },
  qwen2_0_5b_decode = { 538044416, 494032768 },
  -- TinyLlama-1.1B (config.json: H 2048, 22 layers, 32/4 heads, FFN 5632, vocab 32000, untied):
  -- 1,100,048,384 parameters, as Hugging Face counts them; prefill of 128 tokens, decode at kv=1024
  tinyllama_1_1b_prefill = { 128 * 968884224 + 22 * 2 * 128 * 128 * 32 * 64 + 65536000, 1100048384 },
  tinyllama_1_1b_decode = { 968884224 + 22 * 2 * 1025 * 32 * 64 + 65536000, 1100048384 },
  -- Qwen2.5-1.5B (H 1536, 28 layers, 12/2 heads of 128, FFN 8960, vocab 151936, tied, QKV bias):
  -- 1,543,714,304 parameters (Hugging Face's count for the tied model)
  qwen2_5_1_5b_prefill = { 128 * 1310195712 + 28 * 2 * 128 * 128 * 12 * 128 + 233373696, 1543714304 },
  qwen2_5_1_5b_decode = { 1310195712 + 28 * 2 * 1025 * 12 * 128 + 233373696, 1543714304 },
  -- transformer model= presets (config.json dimensions in transformer.lua), prefill of 128 tokens
  -- and decode at kv=1024, counted outside the simulator; the parameters equal the published
  -- totals (Llama-3.2-1B 1,235,814,400, Qwen2.5-7B 7,615,616,512, Llama-2-7B 6,738,415,616,
  -- Phi-3-mini 3,821,079,552, Gemma-2B 2,506,172,416, ...)
  qwen2_5_0_5b_prefill = { 46642577408, 494032768 },
  qwen2_5_0_5b_decode = { 538044416, 494032768 },
  qwen2_5_3b_prefill = { 357867192320, 3085938688 },
  qwen2_5_3b_decode = { 3236839424, 3085938688 },
  qwen2_5_7b_prefill = { 839070253056, 7615616512 },
  qwen2_5_7b_decode = { 7276007424, 7615616512 },
  llama3_2_1b_prefill = { 125890461696, 1235814400 },
  llama3_2_1b_decode = { 1302921216, 1235814400 },
  llama3_2_3b_prefill = { 363989827584, 3212749824 },
  llama3_2_3b_decode = { 3388907520, 3212749824 },
  llama2_7b_prefill = { 833354727424, 6738415616 },
  llama2_7b_decode = { 6875774976, 6738415616 },
  phi3_mini_prefill = { 467176194048, 3821079552 },
  phi3_mini_decode = { 3923902464, 3821079552 },
  gemma_2b_prefill = { 255403753472, 2506172416 },
  gemma_2b_decode = { 2581667840, 2506172416 },
  minicpm_2b_prefill = { 315862255872, 2724880896 },
  minicpm_2b_decode = { 2913622272, 2724880896 },
}

local function output_shape(g, i)
  local o = g:outputs()[i or 1]
  return o and table.concat(o.shape, "x") or "(none)"
end

run("networks_listed", function()
  local have = {}
  for _, n in ipairs(npusim.networks()) do have[n] = true end
  for n in pairs(exact) do check(have[n], "network '%s' missing from npusim.networks()", n) end
  for n in pairs(have) do check(exact[n], "network '%s' has no exact counts in this test", n) end
end)

run("every_network_matches_published_figures", function()
  for _, n in ipairs(npusim.networks()) do
    local g, msg = load(n)
    if not g then
      fail("%s: does not build: %s", n, tostring(msg))
    else
      local info = npusim.zoo_info(n)
      if type(info) ~= "table" then
        fail("%s: no published figures", n)
      else
        check(type(info.source) == "string" and #info.source > 10, "%s: no source", n)
        local tol = info.tol or 0.01
        check(tol > 0 and tol <= 0.035, "%s: tolerance %s out of range", n, tostring(tol))
        local m, p = g:macs(), g:params()
        check(math.abs(m - info.macs) <= tol * info.macs,
              "%s: MACs %d vs published %.0f (%+.3f%%, tol %.2f%%)", n, m, info.macs,
              100 * (m - info.macs) / info.macs, 100 * tol)
        check(math.abs(p - info.params) <= tol * info.params,
              "%s: params %d vs published %.0f (%+.3f%%, tol %.2f%%)", n, p, info.params,
              100 * (p - info.params) / info.params, 100 * tol)
      end
      local e = exact[n]
      if e then
        check(g:macs() == e[1], "%s: MACs %d, expected exactly %d", n, g:macs(), e[1])
        check(g:params() == e[2], "%s: params %d, expected exactly %d", n, g:params(), e[2])
      end
    end
  end
end)

run("output_shapes", function()
  local want = {
    lenet5 = "1x10", lenet_caffe = "1x10", alexnet = "1x1000", vgg16 = "1x1000", resnet50 = "1x1000",
    mobilenet_v1 = "1x1000", mobilenet_v2 = "1x1000", googlenet = "1x1000",
    mobilenet_v3_large = "1x1000", mobilenet_v3_small = "1x1000", resnext50_32x4d = "1x1000",
    wide_resnet50_2 = "1x1000", vgg11 = "1x1000", vgg19 = "1x1000", densenet121 = "1x1000",
    efficientnet_b0 = "1x1000", efficientnet_b3 = "1x1000", regnet_x_400mf = "1x1000",
    regnet_y_400mf = "1x1000", shufflenet_v2_x1_0 = "1x1000",
    squeezenet1_0 = "1x1000", squeezenet1_1 = "1x1000",
    yolov5s = "1x25200x85", yolov8n = "1x84x8400", yolov5n = "1x25200x85", yolov5m = "1x25200x85",
    yolov5l = "1x25200x85", yolov8s = "1x84x8400", yolov8m = "1x84x8400", yolov8l = "1x84x8400", qwen2_0_5b_prefill = "1x1x151936",
  }
  for n, s in pairs(want) do
    local g, msg = load(n)
    check(g and output_shape(g) == s, "%s: output %s, expected %s (%s)", n,
          g and output_shape(g) or "-", s, tostring(msg))
  end
  -- logits + new keys and values of 24 layers
  local g = load("qwen2_0_5b_decode")
  check(g and #g:outputs() == 49, "decode: %d outputs, expected 49", g and #g:outputs() or -1)
  check(g and output_shape(g, 2) == "1x2x1x64", "decode: new key shape %s", g and output_shape(g, 2) or "-")
end)

run("batch_scales_macs_not_params", function()
  local g1, g2 = load("resnet18"), load("resnet18", "batch=2")
  check(g2 and g2:macs() == 2 * 1814073344, "batch=2 MACs %s", g2 and g2:macs() or "-")
  check(g2 and g2:params() == 11689512, "batch=2 params %s", g2 and g2:params() or "-")
  check(g1 and g2 and output_shape(g2) == "2x1000", "batch=2 output %s", g2 and output_shape(g2) or "-")
  local info = npusim.zoo_info("resnet18", "batch=2")
  check(info and math.abs(info.macs - 2 * 1.81e9) < 1, "batch=2 published MACs not scaled")
end)

run("dtype_argument", function()
  for _, n in ipairs({ "resnet18", "yolov5s" }) do
    local g, msg = load(n, "dtype=fp16")
    local ok = g ~= nil
    for _, l in ipairs(g and g:info() or {}) do
      if l.op == "conv" and l.dtype ~= "fp16" then ok = false end
    end
    check(ok, "%s dtype=fp16: convs not fp16 (%s)", n, tostring(msg))
  end
  local g = load("qwen2_0_5b_decode")
  local ok = g ~= nil
  for _, l in ipairs(g and g:info() or {}) do
    if l.op == "matmul" and l.dtype ~= "fp16" then ok = false end
  end
  check(ok, "qwen2_0_5b_decode: matmuls should default to fp16")
end)

run("lenet5_c3_full", function()
  local g, msg = load("lenet5", "c3=full")
  check(g and g:macs() == 418096 and g:params() == 61740, "c3=full: %s %s %s",
        g and g:macs() or "-", g and g:params() or "-", tostring(msg))
end)

run("variant_arguments", function()
  -- SCRIPT with ARGS builds the graph NAME with exactly MACS and PARAMS (or exact[NAME])
  local function builds(script, a, name, macs, params)
    local e = exact[name] or {}
    macs, params = macs or e[1], params or e[2]
    local g, msg = load(script, a)
    check(g and g:name() == name and g:macs() == macs and g:params() == params,
          "%s %s: %s %s %s, expected %s %s %s (%s)", script, a, g and g:name() or "-",
          g and g:macs() or "-", g and g:params() or "-", name, macs, params, tostring(msg))
  end
  -- resnet18 depth=, resnet50 depth=, squeezenet1_0 version=, vgg16 depth=, efficientnet_b0,
  -- regnet_x_400mf and mobilenet_v3_large variant= build the networks that the thin scripts
  -- call them for, under the same graph name
  for _, c in ipairs({ { "resnet18", "depth=34", "resnet34" }, { "resnet50", "depth=101", "resnet101" },
                       { "squeezenet1_0", "version=1.1", "squeezenet1_1" }, { "vgg16", "depth=19", "vgg19" },
                       { "efficientnet_b0", "variant=b2", "efficientnet_b2" },
                       { "regnet_x_400mf", "variant=y_400mf", "regnet_y_400mf" },
                       { "mobilenet_v3_large", "variant=small", "mobilenet_v3_small" } }) do
    builds(c[1], c[2], c[3])
    -- the published figures stay with the script named after the network (the builders that
    -- return figures for every variant are checked through their thin scripts instead)
    if c[1]:match("^resnet") or c[1]:match("^squeeze") or c[1] == "vgg16" then
      check(npusim.zoo_info(c[1], c[2]) == nil, "%s %s: returns figures of another network", c[1], c[2])
    end
  end
  -- the YOLO scripts build every scale under its own name
  builds("yolov5", "scale=n", "yolov5n")
  builds("yolov5", "scale=l", "yolov5l")
  builds("yolov8", "scale=m", "yolov8m")
  builds("yolov8", "scale=s", "yolov8s")
  -- variants without a script of their own, counted outside the simulator like the others.
  -- ResNet-152 (Table 1: 3, 8, 36, 3 bottlenecks): torchvision publishes 60,192,808 parameters
  -- and 11.51 GFLOPS (= GMAC). The other parameter counts equal the references' too: vgg13
  -- 133,047,848; densenet169 14,149,480; densenet201 20,013,928; regnet_x_800mf 7,259,656;
  -- regnet_y_800mf 6,432,512; shufflenet_v2 x0_5 1,366,792, x1_5 3,503,624, x2_0 7,393,996
  -- (torchvision); yolov5x 86,749,405 and yolov8x 68,229,648 (Ultralytics' summaries)
  builds("resnet50", "depth=152", "resnet152", 11513626624, 60192808)
  builds("resnet50", "groups=32,width_per_group=4", "resnet50", 4230479872, 25028904)
  builds("vgg16", "depth=13", "vgg13", 11308466176, 133047848)
  builds("densenet121", "depth=169", "densenet169", 3359843328, 14149480)
  builds("densenet121", "depth=201", "densenet201", 4291365888, 20013928)
  builds("regnet_x_400mf", "variant=x_800mf", "regnet_x_800mf", 799699712, 7259656)
  builds("regnet_x_400mf", "variant=y_800mf", "regnet_y_800mf", 833856256, 6432512)
  builds("shufflenet_v2_x1_0", "width=0.5", "shufflenet_v2_x0_5", 40476448, 1366792)
  builds("shufflenet_v2_x1_0", "width=1.5", "shufflenet_v2_x1_5", 295759392, 3503624)
  builds("shufflenet_v2_x1_0", "width=2.0", "shufflenet_v2_x2_0", 583253464, 7393996)
  builds("yolov5", "scale=x", "yolov5x", 102724096000, 86749405)
  builds("yolov8", "scale=x", "yolov8x", 128902169600, 68229648)
end)

run("qwen_prefill_tokens", function()
  for _, n in ipairs({ 1, 7, 128, 512 }) do
    local g, msg = load("qwen2_0_5b_prefill", "tokens=" .. n)
    -- 24 layers x (q 896x896 + k,v 896x128 + o 896x896 + MLP 3x896x4864) per token,
    -- QK^T and PV: 2 x n x n x 14 heads x 64 per layer, LM head 151936x896 for the last token
    local want = n * 357826560 + 24 * 2 * n * n * 14 * 64 + 136134656
    check(g and g:macs() == want, "tokens=%d: MACs %s, expected %d (%s)", n,
          g and g:macs() or "-", want, tostring(msg))
    check(g and g:params() == 494032768, "tokens=%d: params %s", n, g and g:params() or "-")
  end
  local g = load("qwen2_0_5b_prefill", "tokens=16,logits=all")
  check(g and g:macs() == 16 * 357826560 + 24 * 2 * 16 * 16 * 896 + 16 * 136134656
        and output_shape(g) == "1x16x151936", "logits=all: %s", g and g:macs() or "-")
end)

run("qwen_decode_kv", function()
  for _, kv in ipairs({ 0, 1, 1024, 4095 }) do
    local g, msg = load("qwen2_0_5b_decode", "kv=" .. kv)
    local want = 357826560 + 24 * 2 * (kv + 1) * 14 * 64 + 136134656
    check(g and g:macs() == want, "kv=%d: MACs %s, expected %d (%s)", kv, g and g:macs() or "-",
          want, tostring(msg))
  end
end)

run("transformer_models", function()
  -- model= and mode= on the transformer itself give the thin scripts' graphs; explicit
  -- dimensions override the model's; Gemma's MLP gate is GELU, the others' SiLU
  local g, msg = load("transformer", "model=llama3_2_1b,mode=decode,kv=1024")
  check(g and g:name() == "llama3_2_1b_decode" and g:macs() == exact.llama3_2_1b_decode[1],
        "model=llama3_2_1b,mode=decode: %s %s (%s)", g and g:name() or "-", g and g:macs() or "-", tostring(msg))
  g, msg = load("llama3_2_1b_prefill", "tokens=16")
  check(g and g:macs() == 16 * 16 * 60817408 + 16 * 2 * 16 * 16 * 2048 + 262668288,
        "llama3_2_1b_prefill tokens=16: %s (%s)", g and g:macs() or "-", tostring(msg))
  g, msg = load("transformer", "model=qwen2_5_3b,layers=2")
  check(g and g:params() == 311164928 + 2048 + 2 * 77076992, "layers override: %s (%s)",
        g and g:params() or "-", tostring(msg))
  for _, c in ipairs({ { "gemma_2b_decode", "gelu" }, { "llama3_2_1b_decode", "silu" } }) do
    local n = 0
    g = load(c[1])
    for _, l in ipairs(g and g:info() or {}) do
      if l.op == "gemm" and l.act == c[2] then n = n + 1 end
    end
    check(n > 0, "%s: no gemm with a fused %s", c[1], c[2])
  end
  -- Qwen2.5-0.5B has Qwen2-0.5B's dimensions: the same graph under another name
  local a, b2 = load("qwen2_5_0_5b_decode"), load("qwen2_0_5b_decode")
  check(a and b2 and a:macs() == b2:macs() and a:params() == b2:params(), "qwen2.5-0.5b vs qwen2-0.5b")
end)

run("transformer_custom_dims", function()
  -- hidden 64, 2 layers, 4 heads of 16 sharing 2 KV heads, MLP 128, vocab 100, untied head,
  -- no QKV bias, 5 new tokens after 3 cached, logits for every position. By hand:
  --   weights per layer 64*(64+2*32) + 64*64 + 3*64*128 = 36,864
  --   params  = 100*64 (embedding) + 100*64 (head) + 64 (norm) + 2*(36,864 + 2*64) = 86,848
  --   MACs    = 5*2*36,864 + 2*2*5*8*4*16 (attention over 3+5 positions) + 5*100*64 = 410,880
  local g, msg = load("transformer", "hidden=64,layers=2,heads=4,kv_heads=2,ffn=128,vocab=100,"
                      .. "tied=0,qkv_bias=0,tokens=5,kv=3,logits=all")
  check(g and g:macs() == 410880, "MACs %s (%s)", g and g:macs() or "-", tostring(msg))
  check(g and g:params() == 86848, "params %s", g and g:params() or "-")
  check(g and output_shape(g) == "1x5x100", "output %s", g and output_shape(g) or "-")
end)

run("yolov5s_act", function()
  -- act=relu swaps every Conv block's SiLU for a ReLU (rknn_model_zoo's relu model): same MACs
  -- and parameters, 57 convs with a (fused) relu and none with a silu
  local g, msg = load("yolov5s", "act=relu")
  local n = { relu = 0, silu = 0 }
  for _, l in ipairs(g and g:info() or {}) do
    if n[l.act] then n[l.act] = n[l.act] + 1 end
  end
  check(g and g:macs() == 8216780800 and g:params() == 7235389, "act=relu: counts (%s)", tostring(msg))
  check(n.relu == 57 and n.silu == 0, "act=relu: %d relu, %d silu layers", n.relu, n.silu)
  check(load("yolov5s", "act=gelu") == nil, "act=gelu should be refused")
end)

run("yolo_rknn_head", function()
  -- head=rknn: the heads rknn_model_zoo converts (airockchip/yolov5: conv + sigmoid per scale;
  -- airockchip/ultralytics_yolov8: box, sigmoid classes and their clipped sum per scale). YOLOv5:
  -- the same convs and counts; YOLOv8: the DFL's 1x1 conv leaves (16 weights, 16 x 4 x 8400 MACs)
  local g5, m5 = load("yolov5s", "head=rknn,act=relu")
  check(g5 and g5:macs() == 8216780800 and g5:params() == 7235389, "yolov5s rknn: counts (%s)", tostring(m5))
  local want5 = { "1x255x80x80", "1x255x40x40", "1x255x20x20" }
  check(g5 and #g5:outputs() == 3, "yolov5s rknn: %d outputs", g5 and #g5:outputs() or -1)
  for i, s in ipairs(want5) do
    check(g5 and output_shape(g5, i) == s, "yolov5s rknn output %d: %s, expected %s", i, g5 and output_shape(g5, i) or "-", s)
  end
  local g8, m8 = load("yolov8m", "head=rknn")
  check(g8 and g8:macs() == 39468364800 - 16 * 4 * 8400 and g8:params() == 25902640 - 16,
        "yolov8m rknn: counts %s %s (%s)", g8 and g8:macs() or "-", g8 and g8:params() or "-", tostring(m8))
  local want8 = { "1x64x80x80", "1x80x80x80", "1x1x80x80", "1x64x40x40", "1x80x40x40", "1x1x40x40",
                  "1x64x20x20", "1x80x20x20", "1x1x20x20" }
  check(g8 and #g8:outputs() == 9, "yolov8m rknn: %d outputs", g8 and #g8:outputs() or -1)
  for i, s in ipairs(want8) do
    check(g8 and output_shape(g8, i) == s, "yolov8m rknn output %d: %s, expected %s", i, g8 and output_shape(g8, i) or "-", s)
  end
  local u = load("yolov8n", "head=ultralytics")
  check(u and output_shape(u) == "1x84x8400", "yolov8n head=ultralytics is the default form")
end)

run("bad_arguments_are_errors", function()
  local cases = {
    { "qwen2_0_5b_prefill", "tokenz=5", "tokenz" },
    { "qwen2_0_5b_prefill", "tokens=0", "tokens" },
    { "qwen2_0_5b_decode", "kv=-1", "kv" },
    { "transformer", "heads=3,kv_heads=2", "multiple" },
    { "transformer", "hidden=63,heads=9,kv_heads=1", "even" },
    { "transformer", "logits=some", "logits" },
    { "transformer", "layers=0", "layers" },
    { "transformer", "model=gpt5", "unknown model 'gpt5'" },
    { "transformer", "mode=train", "mode" },
    { "transformer", "mlp_act=relu", "mlp_act" },
    { "llama3_2_1b_decode", "tokens=4", "llama3_2_1b_decode: unknown argument 'tokens'" },
    { "phi3_mini_prefill", "kv=3", "phi3_mini_prefill: unknown argument 'kv'" },
    { "gemma_2b_prefill", "tokens=0", "gemma_2b_prefill: tokens" },
    { "resnet50", "batch=0", "batch" },
    { "mobilenet_v2", "batch=abc", "batch" },
    { "alexnet", "batchh=2", "batchh" },
    { "lenet5", "c3=half", "c3" },
    { "yolov8n", "dtype=float", "float" },
    { "squeezenet", "tokens=3", "tokens" },
    { "resnet50", "depth=34", "depth" },
    { "resnet18", "depth=50", "depth" },
    { "squeezenet1_0", "version=1.2", "version" },
    -- a thin variant script names itself and takes no variant argument
    { "resnet101", "x=1", "resnet101: unknown argument 'x'" },
    { "resnet34", "depth=18", "resnet34: unknown argument 'depth'" },
    { "squeezenet1_1", "version=1.0", "squeezenet1_1: unknown argument 'version'" },
    { "resnet101", "batch=0", "resnet101: batch" },
    { "yolov5", "scale=q", "scale" },
    { "vgg16", "depth=12", "depth" },
    { "vgg19", "depth=11", "vgg19: unknown argument 'depth'" },
    { "densenet121", "depth=100", "depth" },
    { "efficientnet_b0", "variant=b9", "variant" },
    { "efficientnet_b3", "x=1", "efficientnet_b3: unknown argument 'x'" },
    { "efficientnet_b1", "variant=b0", "efficientnet_b1: unknown argument 'variant'" },
    { "regnet_x_400mf", "variant=z", "variant" },
    { "regnet_y_400mf", "batch=0", "regnet_y_400mf: batch" },
    { "mobilenet_v3_small", "variant=large", "mobilenet_v3_small: unknown argument 'variant'" },
    { "shufflenet_v2_x1_0", "width=3", "width" },
    { "resnext50_32x4d", "groups=2", "resnext50_32x4d: unknown argument 'groups'" },
    { "resnet50", "groups=0", "groups" },
    { "yolov8", "scale=q", "scale" },
    { "yolov5m", "scale=s", "yolov5m: unknown argument 'scale'" },
    { "yolov8s", "name=x", "yolov8s: unknown argument 'name'" },
    { "yolov5l", "act=gelu", "yolov5l: act" },
    { "yolov8m", "size=100", "yolov8m: size" },
    { "yolov5n", "head=onnx", "yolov5n: head" },
    { "yolov8", "head=rknn2", "yolov8n: head" },
  }
  for _, c in ipairs(cases) do
    local g, msg = load(c[1], c[2])
    check(g == nil and type(msg) == "string" and msg:find(c[3], 1, true),
          "%s %s: expected an error naming '%s', got %s", c[1], c[2], c[3], tostring(msg or g))
  end
end)

print(string.format("%d passed, %d failed", passed, failed))
if failed > 0 then error(string.format("zoo_test: %d failed", failed), 0) end
