-- yolov5s.lua — YOLOv5s (Ultralytics YOLOv5, models/yolov5s.yaml of release v6.0 and later:
-- depth_multiple 0.33, width_multiple 0.50, 80 classes, 3 anchors per scale) at 640x640.
--
-- Stem: the v6.0+ 6x6 stride-2 pad-2 conv, not the older Focus (space-to-depth + 3x3 conv).
-- Ultralytics replaced Focus by this conv in v6.0 because it computes the same function, exports
-- more cleanly and runs faster; the published v6.0+ figures below are for this graph. (Focus
-- would add a space-to-depth data-movement step and a 3x3 conv on 12 channels:
-- the same 32x320x320 output.)
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
-- Layer names follow the yaml's module indices (model.0 ... model.24).
--
-- Published figures: Ultralytics YOLOv5 README table (v6.0+), YOLOv5s: 7.2 M params, 16.5
-- GFLOPs at 640 — Ultralytics counts FLOPs as 2 x multiply-accumulates (thop MACs x 2) on the
-- BN-fused model, so 8.25 GMAC. This graph has 8.217 GMAC (16.43 GFLOPs), 0.4% below the table:
-- the table's figure is rounded and profiled by Ultralytics' own tooling, whose exact rules we
-- cannot reproduce here; tolerance 1%. The unrounded parameter count of
-- the unfused model (the printed model summary: conv weights + BN gamma/beta + Detect biases)
-- is 7,235,389, which is what our counting rule (BN keeps 2C) measures.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not),
-- act=silu|relu (default silu): the activation of every Conv block. rknn_model_zoo publishes
-- yolov5s both ways (its "relu" model replaces SiLU by ReLU, nothing else); the pair isolates
-- what the SiLU costs on an NPU.
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "act" then
    error("yolov5s: unknown argument '" .. tostring(k) .. "' (known: batch, dtype, act)")
  end
end
local act = args.act or "silu"
if act ~= "silu" and act ~= "relu" then
  error("yolov5s: act must be silu or relu, not '" .. tostring(act) .. "'")
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("yolov5s: batch must be a positive integer") end
local nc, na = 80, 3
local b = npusim.builder("yolov5s", { input = { batch, 3, 640, 640 }, dtype = args.dtype or "int8" })

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

-- backbone (channels and repeats already scaled by width 0.50 / depth 0.33)
local x0 = conv(b.input, "model.0", 32, 6, 2, 2)     -- P1/2 (v6.0 stem: k=6 s=2 p=2)
local x1 = conv(x0, "model.1", 64, 3, 2)            -- P2/4
local x2 = c3(x1, "model.2", 64, 1, true)
local x3 = conv(x2, "model.3", 128, 3, 2)           -- P3/8
local x4 = c3(x3, "model.4", 128, 2, true)
local x5 = conv(x4, "model.5", 256, 3, 2)           -- P4/16
local x6 = c3(x5, "model.6", 256, 3, true)
local x7 = conv(x6, "model.7", 512, 3, 2)           -- P5/32
local x8 = c3(x7, "model.8", 512, 1, true)
local x9 = sppf(x8, "model.9", 512, 512)
-- PANet neck: top-down then bottom-up
local x10 = conv(x9, "model.10", 256, 1)
local x13 = c3(cat(up(x10, "model.11"), x6, "model.12"), "model.13", 256, 1, false)
local x14 = conv(x13, "model.14", 128, 1)
local x17 = c3(cat(up(x14, "model.15"), x4, "model.16"), "model.17", 128, 1, false) -- P3 out
local x18 = conv(x17, "model.18", 128, 3, 2)
local x20 = c3(cat(x18, x14, "model.19"), "model.20", 256, 1, false)                 -- P4 out
local x21 = conv(x20, "model.21", 256, 3, 2)
local x23 = c3(cat(x21, x10, "model.22"), "model.23", 512, 1, false)                 -- P5 out

-- Detect head
local outs = {}
for i, src in ipairs({ x17, x20, x23 }) do
  local stride = 4 << i -- 8, 16, 32
  local ny, nx = 640 // stride, 640 // stride
  local name = "model.24.m." .. (i - 1)
  local y = b:conv(src, { out = na * (nc + 5), k = 1, bias = 1, name = name })
  -- leading 0 = "the input's batch" (as ONNX Reshape): the graph follows --batch
  y = b:reshape(y, { shape = { 0, na, nc + 5, ny, nx }, name = name .. ".view" })
  y = b:transpose(y, { perm = { 0, 1, 3, 4, 2 }, name = name .. ".permute" })
  y = b:sigmoid(y, { name = name .. ".sigmoid" })
  outs[i] = b:reshape(y, { shape = { 0, na * ny * nx, nc + 5 }, name = name .. ".flat" })
end
local det = b:concat(outs[1], outs[2], outs[3], { axis = 1, name = "model.24.cat" })
b:output(det)
return b, { macs = 8.25e9 * batch, params = 7235389,
            source = "Ultralytics YOLOv5 v6.0+ README (YOLOv5s 7.2 M params, 16.5 GFLOPs = 2x MACs) and model summary (7,235,389 params)",
            tol = 0.01 }
