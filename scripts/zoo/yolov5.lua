-- yolov5.lua — the YOLOv5 family (Ultralytics YOLOv5, models/yolov5{n,s,m,l,x}.yaml of release
-- v6.0 and later: one layer list scaled by a depth and a width multiple; 80 classes, 3 anchors per
-- scale) at 640x640, in Ultralytics' export form (Detect convs, sigmoid, no box decoding) or, with
-- head=rknn, in the form rknn_model_zoo converts and times (below).
--
-- Scales (yaml depth_multiple gd, width_multiple gw): n 0.33/0.25, s 0.33/0.50, m 0.67/0.75,
-- l 1.00/1.00, x 1.33/1.25. Ultralytics' parse_model scales every module as
--   repeats n -> max(round(n * gd), 1) when n > 1;   channels c -> ceil(c * gw / 8) * 8
-- (make_divisible(c * gw, 8)); the numbers below are the yaml's unscaled ones.
--
-- Stem: the v6.0+ 6x6 stride-2 pad-2 conv, not the older Focus (space-to-depth + 3x3 conv).
-- Ultralytics replaced Focus by this conv in v6.0 because it computes the same function, exports
-- more cleanly and runs faster; the published v6.0+ figures below are for this graph. (Focus
-- would add a space-to-depth data-movement step and a 3x3 conv on 12 channels:
-- the same output.)
--
-- Building blocks (models/common.py):
--   Conv(c, k, s)  = conv k x k, stride s, pad k//2 (the stem: pad 2), no bias + BatchNorm + SiLU
--   C3(c_out, n, shortcut): c_ = c_out/2; cv1 = Conv(c_,1) -> n Bottlenecks; cv2 = Conv(c_,1) on
--       the block input; cv3 = Conv(c_out,1) on concat(bottlenecks, cv2)
--   Bottleneck(c_): Conv(c_,1) -> Conv(c_,3), + input when shortcut (backbone only)
--   SPPF(c_out, 5): cv1 = Conv(c_in/2,1); three chained 5x5/1 max pools (pad 2); cv2 = Conv(c_out,1)
--       on concat(cv1, p1, p2, p3)
--   Detect: per scale (P3/8, P4/16, P5/32) a 1x1 conv with bias to 3 anchors x (80 + 5) = 255
--       channels, reshaped to (1, 3, 85, ny, nx), permuted to (1, 3, ny, nx, 85) and passed
--       through a sigmoid; the three scales are flattened to (1, 3*ny*nx, 85) and concatenated
--       into the (1, 25200, 85) output of an exported model. The box decoding that follows
--       (grid and anchor arithmetic, a few element-wise ops on 25200x4 values) is left out.
--   Detect, head=rknn: rknn_model_zoo's yolov5 models come from airockchip/yolov5, whose
--       README_rkopt says it "removes post_process from the model" (recalled, not in research/):
--       per scale the 1x1 conv and a sigmoid, three outputs (1, 255, 80, 80), (1, 255, 40, 40),
--       (1, 255, 20, 20); no reshape, permute or concat. (The zoo's C post-processing decodes
--       x*2-0.5 etc. directly on the dequantized outputs, so the sigmoid is in the model.) The
--       same convs: MACs and parameters are those of the default head.
-- Layer names follow the yaml's module indices (model.0 ... model.24).
--
-- Published figures: the Ultralytics YOLOv5 README table (v6.0+) gives params (M) and GFLOPs at
-- 640 — Ultralytics counts FLOPs as 2 x multiply-accumulates (thop MACs x 2) on the BN-fused
-- model — and the model summaries printed by the same release give the unrounded parameter
-- counts of the unfused model (conv weights + BN gamma/beta + Detect biases), which is what our
-- counting rule (BN keeps 2C) measures:
--   n 1,872,157 params, 4.5 GFLOPs;  s 7,235,389, 16.5;  m 21,190,557, 49.0;
--   l 46,563,709, 109.1;  x 86,749,405, 205.7.
-- Our MACs are 0.1-0.7 % below half the GFLOPs (s: 8.217 GMAC vs 8.25): the table's figures are
-- rounded and profiled by Ultralytics' own tooling, whose exact rules we cannot reproduce here.
-- The tolerance is 1 %, 1.5 % for n (4.5 has two digits: ±1.1 %).
-- Arguments: scale=n|s|m|l|x (default s; the graph is named yolov5<scale>), dtype= (default
-- int8), batch= (default 1; MACs scale with it, parameters do not), act=silu|relu (default silu):
-- the activation of every Conv block. rknn_model_zoo publishes yolov5s both ways (its "relu"
-- model replaces SiLU by ReLU, nothing else); the pair isolates what the SiLU costs on an NPU.
-- head=ultralytics|rknn (default ultralytics): the Detect head's export form (above).
-- name= (default yolov5<scale>): the graph's name, which its errors also use; yolov5n.lua ...
-- yolov5l.lua are this script with their scale and name.
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "act" and k ~= "scale" and k ~= "name" and k ~= "head" then
    error(tostring(args.name or "yolov5") .. ": unknown argument '" .. tostring(k) .. "' (known: batch, dtype, act, scale, name, head)")
  end
end
local scales = { -- depth, width multiple; published params (summary), GFLOPs (README), tol
  n = { 0.33, 0.25, 1872157, 4.5, 0.015 }, s = { 0.33, 0.50, 7235389, 16.5, 0.01 },
  m = { 0.67, 0.75, 21190557, 49.0, 0.01 }, l = { 1.00, 1.00, 46563709, 109.1, 0.01 },
  x = { 1.33, 1.25, 86749405, 205.7, 0.01 },
}
local scale = args.scale or "s"
local me = args.name or ("yolov5" .. tostring(scale)) -- the graph's name, and the errors'
local sc = scales[scale]
if not sc then error(me .. ": scale must be n, s, m, l or x, not '" .. tostring(scale) .. "'") end
local act = args.act or "silu"
if act ~= "silu" and act ~= "relu" then
  error(me .. ": act must be silu or relu, not '" .. tostring(act) .. "'")
end
local head = args.head or "ultralytics"
if head ~= "ultralytics" and head ~= "rknn" then
  error(me .. ": head must be ultralytics or rknn, not '" .. tostring(head) .. "'")
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error(me .. ": batch must be a positive integer") end
local gd, gw = sc[1], sc[2]
local function w(c) return math.ceil(c * gw / 8) * 8 end                  -- make_divisible
local function rep(n) return n > 1 and math.max(math.floor(n * gd + 0.5), 1) or n end
local nc, na = 80, 3
local b = npusim.builder(me,
                         { input = { batch, 3, 640, 640 }, dtype = args.dtype or "int8" })

local function conv(x, name, out, k, s, p)
  x = b:conv(x, { out = out, k = k, s = s or 1, p = p or k // 2, bias = 0, name = name })
  x = b:batchnorm(x, { name = name .. ".bn" })
  if act == "relu" then return b:relu(x, { name = name .. ".act" }) end
  return b:silu(x, { name = name .. ".act" })
end

local function c3(x, name, out, n, shortcut)
  local c_ = out // 2
  local y = conv(x, name .. ".cv1", c_, 1)
  for i = 0, n - 1 do
    local m = string.format("%s.m.%d", name, i)
    local t = conv(conv(y, m .. ".cv1", c_, 1), m .. ".cv2", c_, 3)
    y = shortcut and b:add(y, t, { name = m .. ".add" }) or t
  end
  local z = conv(x, name .. ".cv2", c_, 1)
  return conv(b:concat(y, z, { axis = 1, name = name .. ".cat" }), name .. ".cv3", out, 1)
end

local function sppf(x, name, cin, out)
  local y = conv(x, name .. ".cv1", cin // 2, 1)
  local p1 = b:maxpool(y, { k = 5, s = 1, p = 2, name = name .. ".m1" })
  local p2 = b:maxpool(p1, { k = 5, s = 1, p = 2, name = name .. ".m2" })
  local p3 = b:maxpool(p2, { k = 5, s = 1, p = 2, name = name .. ".m3" })
  return conv(b:concat(y, p1, p2, p3, { axis = 1, name = name .. ".cat" }), name .. ".cv2", out, 1)
end

local function up(x, name) return b:resize(x, { scale = { 2, 2 }, mode = "nearest", name = name }) end
local function cat(x, y, name) return b:concat(x, y, { axis = 1, name = name }) end

-- backbone (the yaml's channels and repeats, scaled)
local x0 = conv(b.input, "model.0", w(64), 6, 2, 2) -- P1/2 (v6.0 stem: k=6 s=2 p=2)
local x1 = conv(x0, "model.1", w(128), 3, 2)        -- P2/4
local x2 = c3(x1, "model.2", w(128), rep(3), true)
local x3 = conv(x2, "model.3", w(256), 3, 2)        -- P3/8
local x4 = c3(x3, "model.4", w(256), rep(6), true)
local x5 = conv(x4, "model.5", w(512), 3, 2)        -- P4/16
local x6 = c3(x5, "model.6", w(512), rep(9), true)
local x7 = conv(x6, "model.7", w(1024), 3, 2)       -- P5/32
local x8 = c3(x7, "model.8", w(1024), rep(3), true)
local x9 = sppf(x8, "model.9", w(1024), w(1024))
-- PANet neck: top-down then bottom-up
local x10 = conv(x9, "model.10", w(512), 1)
local x13 = c3(cat(up(x10, "model.11"), x6, "model.12"), "model.13", w(512), rep(3), false)
local x14 = conv(x13, "model.14", w(256), 1)
local x17 = c3(cat(up(x14, "model.15"), x4, "model.16"), "model.17", w(256), rep(3), false) -- P3
local x18 = conv(x17, "model.18", w(256), 3, 2)
local x20 = c3(cat(x18, x14, "model.19"), "model.20", w(512), rep(3), false)                -- P4
local x21 = conv(x20, "model.21", w(512), 3, 2)
local x23 = c3(cat(x21, x10, "model.22"), "model.23", w(1024), rep(3), false)               -- P5

-- Detect head
local outs = {}
for i, src in ipairs({ x17, x20, x23 }) do
  local stride = 4 << i -- 8, 16, 32
  local ny, nx = 640 // stride, 640 // stride
  local name = "model.24.m." .. (i - 1)
  local y = b:conv(src, { out = na * (nc + 5), k = 1, bias = 1, name = name })
  if head == "rknn" then -- airockchip/yolov5: conv + sigmoid, one output per scale
    outs[i] = b:sigmoid(y, { name = name .. ".sigmoid" })
  else
    -- leading 0 = "the input's batch" (as ONNX Reshape): the graph follows --batch
    y = b:reshape(y, { shape = { 0, na, nc + 5, ny, nx }, name = name .. ".view" })
    y = b:transpose(y, { perm = { 0, 1, 3, 4, 2 }, name = name .. ".permute" })
    y = b:sigmoid(y, { name = name .. ".sigmoid" })
    outs[i] = b:reshape(y, { shape = { 0, na * ny * nx, nc + 5 }, name = name .. ".flat" })
  end
end
if head == "rknn" then
  b:output(outs[1], outs[2], outs[3])
else
  b:output(b:concat(outs[1], outs[2], outs[3], { axis = 1, name = "model.24.cat" }))
end
return b, { macs = sc[4] / 2 * 1e9 * batch, params = sc[3], tol = sc[5],
            source = string.format("Ultralytics YOLOv5 v6.0+ README (YOLOv5%s %.1f GFLOPs = 2x MACs) "
                                   .. "and model summary (%d params)", scale, sc[4], sc[3]) }
