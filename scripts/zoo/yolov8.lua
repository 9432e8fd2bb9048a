-- yolov8.lua — the YOLOv8 detection family (Ultralytics, ultralytics/cfg/models/v8/yolov8.yaml:
-- one layer list scaled per model by a depth multiple, a width multiple and a channel cap; 80
-- classes, anchor-free decoupled head) at 640x640.
--
-- Scales (yaml `scales`: depth, width, max_channels): n 0.33/0.25/1024, s 0.33/0.50/1024,
-- m 0.67/0.75/768, l 1.00/1.00/512, x 1.00/1.25/512. parse_model scales every module as
--   repeats n -> max(round(n * depth), 1) when n > 1;
--   channels c -> make_divisible(min(c, max_channels) * width, 8) = ceil(... / 8) * 8
-- (the numbers below are the yaml's unscaled ones).
--
-- Building blocks (ultralytics/nn/modules):
--   Conv(c, k, s)  = conv k x k, stride s, pad k//2, no bias + BatchNorm + SiLU
--   C2f(c_out, n, shortcut): c = c_out/2; cv1 = Conv(2c, 1), split into two halves of c; n
--       Bottlenecks chained on the second half, each output kept; cv2 = Conv(c_out, 1) on the
--       concat of the two halves and the n bottleneck outputs ((2 + n) c channels)
--   Bottleneck(c): Conv(c,3) -> Conv(c,3), + input when shortcut (backbone only)
--   SPPF(c_out, 5): as in YOLOv5 (cv1 to c_in/2, three chained 5x5/1 max pools, cv2)
--   Detect: per scale (P3/8, P4/16, P5/32) two branches: box = Conv(c2,3) -> Conv(c2,3) ->
--       conv 1x1 with bias to 4 x reg_max(16) = 64; cls = Conv(c3,3) -> Conv(c3,3) -> conv 1x1
--       with bias to 80, where c2 = max(16, P3/4, 64) and c3 = max(P3, min(80, 100)) with P3 the
--       channels of the P3 input (n: 64 and 80; s: 64 and 128; m: 64 and 192).
-- Head post-processing — which part is here: the per-scale outputs are concatenated and
-- flattened to (1, 144, 8400) and split into box (64) and class (80) channels; the DFL
-- (Distribution Focal Loss) decoding IS included: box viewed as (1, 4, 16, 8400), transposed to
-- (1, 16, 4, 8400), softmax over the 16 bins and a fixed 1x1 conv 16 -> 1 (its 16 weights are the
-- bin indices; they count as parameters, as in Ultralytics' summary) giving (1, 4, 8400)
-- distances; classes go through a sigmoid; both are concatenated to (1, 84, 8400) as in an
-- exported model. Left out: dist2bbox (anchor-point and stride arithmetic on 4x8400 values),
-- a handful of element-wise ops.
-- head=rknn: the form rknn_model_zoo converts and times. Its yolov8 models come from
-- airockchip/ultralytics_yolov8, whose RKOPT_README says the DFL moves to post-processing
-- (recalled, not in research/): per scale three outputs, box (1, 64, h, w) = the raw cv2 conv,
-- classes (1, 80, h, w) after the sigmoid, and a score sum (1, 1, h, w) = ReduceSum over the 80
-- class channels then Clip(0, 1); nine outputs, no concat, split, DFL or flattening. The convs
-- are the same, less the DFL's 1x1 conv: 16 parameters and 16 x 4 x 8400 = 537,600 MACs
-- fewer (n: 3,157,184 params against the summary's 3,157,200; MACs 0.01 % lower).
-- Layer names follow the yaml's module indices (model.0 ... model.22).
--
-- Published figures: Ultralytics YOLOv8 README model table (params in M, GFLOPs at 640, where
-- FLOPs = 2 x multiply-accumulates of the BN-fused model) and the unrounded parameter counts of
-- the unfused models printed by Ultralytics' model summary (conv weights, BN gamma/beta, head
-- biases and the 16 DFL weights):
--   n 3,157,200 params, 8.7 GFLOPs;  s 11,166,560, 28.6;  m 25,902,640, 78.9;
--   l 43,691,520, 165.2;  x 68,229,648, 257.8.
-- The GFLOPs have 2-4 digits (n: ±0.6 %); our MACs are within 0.5 % of half of them.
-- Arguments: scale=n|s|m|l|x (default n), name= (default yolov8<scale>: the graph's name, which
-- its errors also use), dtype= (default int8), batch= (default 1; MACs scale with it, parameters
-- do not), size= (default 640; a multiple of 32: the square input side — MACs scale with size^2,
-- the published MAC figure is kept for 640 and scaled), head=ultralytics|rknn (default
-- ultralytics: the Detect head's export form, above). yolov8n.lua ... are this script with
-- their scale and name.
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "size" and k ~= "scale" and k ~= "name" and k ~= "head" then
    error(tostring(args.name or "yolov8") .. ": unknown argument '" .. tostring(k) .. "' (known: batch, dtype, size, scale, name, head)")
  end
end
local scales = { -- depth, width, max_channels; published params (summary), GFLOPs (README)
  n = { 0.33, 0.25, 1024, 3157200, 8.7 }, s = { 0.33, 0.50, 1024, 11166560, 28.6 },
  m = { 0.67, 0.75, 768, 25902640, 78.9 }, l = { 1.00, 1.00, 512, 43691520, 165.2 },
  x = { 1.00, 1.25, 512, 68229648, 257.8 },
}
local scale = args.scale or "n"
local me = args.name or ("yolov8" .. tostring(scale)) -- the graph's name, and the errors'
local sc = scales[scale]
if not sc then error(me .. ": scale must be n, s, m, l or x, not '" .. tostring(scale) .. "'") end
local function w(c) return math.ceil(math.min(c, sc[3]) * sc[2] / 8) * 8 end -- make_divisible
local function rep(n) return n > 1 and math.max(math.floor(n * sc[1] + 0.5), 1) or n end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error(me .. ": batch must be a positive integer") end
local size = math.tointeger(tonumber(args.size or 640))
if not size or size < 32 or size % 32 ~= 0 then
  error(me .. ": size must be a positive multiple of 32")
end
local head = args.head or "ultralytics"
if head ~= "ultralytics" and head ~= "rknn" then
  error(me .. ": head must be ultralytics or rknn, not '" .. tostring(head) .. "'")
end
local nc, reg_max = 80, 16
local b = npusim.builder(me, { input = { batch, 3, size, size }, dtype = args.dtype or "int8" })

local function conv(x, name, out, k, s)
  x = b:conv(x, { out = out, k = k, s = s or 1, p = k // 2, bias = 0, name = name })
  x = b:batchnorm(x, { name = name .. ".bn" })
  return b:silu(x, { name = name .. ".act" })
end

local function c2f(x, name, out, n, shortcut)
  local c = out // 2
  local y = conv(x, name .. ".cv1", 2 * c, 1)
  local parts = { b:split(y, { axis = 1, sizes = { c, c }, name = name .. ".chunk" }) }
  local last = parts[2]
  for i = 0, n - 1 do
    local m = string.format("%s.m.%d", name, i)
    local t = conv(conv(last, m .. ".cv1", c, 3), m .. ".cv2", c, 3)
    last = shortcut and b:add(last, t, { name = m .. ".add" }) or t
    parts[#parts + 1] = last
  end
  parts[#parts + 1] = { axis = 1, name = name .. ".cat" }
  return conv(b:concat(table.unpack(parts)), name .. ".cv2", out, 1)
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
local x0 = conv(b.input, "model.0", w(64), 3, 2)  -- P1/2
local x1 = conv(x0, "model.1", w(128), 3, 2)      -- P2/4
local x2 = c2f(x1, "model.2", w(128), rep(3), true)
local x3 = conv(x2, "model.3", w(256), 3, 2)      -- P3/8
local x4 = c2f(x3, "model.4", w(256), rep(6), true)
local x5 = conv(x4, "model.5", w(512), 3, 2)      -- P4/16
local x6 = c2f(x5, "model.6", w(512), rep(6), true)
local x7 = conv(x6, "model.7", w(1024), 3, 2)     -- P5/32
local x8 = c2f(x7, "model.8", w(1024), rep(3), true)
local x9 = sppf(x8, "model.9", w(1024), w(1024))
-- neck (PAN, no 1x1 lateral convs unlike YOLOv5)
local x12 = c2f(cat(up(x9, "model.10"), x6, "model.11"), "model.12", w(512), rep(3), false)
local x15 = c2f(cat(up(x12, "model.13"), x4, "model.14"), "model.15", w(256), rep(3), false) -- P3
local x16 = conv(x15, "model.16", w(256), 3, 2)
local x18 = c2f(cat(x16, x12, "model.17"), "model.18", w(512), rep(3), false)                -- P4
local x19 = conv(x18, "model.19", w(512), 3, 2)
local x21 = c2f(cat(x19, x9, "model.20"), "model.21", w(1024), rep(3), false)                -- P5

-- Detect head
local p3 = w(256) -- channels of the P3 input (ch[0] in Detect)
local c2, c3 = math.max(16, p3 // 4, reg_max * 4), math.max(p3, math.min(nc, 100))
local flat = {}
local anchors = 0
for i, src in ipairs({ x15, x18, x21 }) do
  local stride = 4 << i -- 8, 16, 32
  local ny, nx = size // stride, size // stride
  local name = "model.22"
  local bx = conv(src, string.format("%s.cv2.%d.0", name, i - 1), c2, 3)
  bx = conv(bx, string.format("%s.cv2.%d.1", name, i - 1), c2, 3)
  bx = b:conv(bx, { out = 4 * reg_max, k = 1, bias = 1, name = string.format("%s.cv2.%d.2", name, i - 1) })
  local cl = conv(src, string.format("%s.cv3.%d.0", name, i - 1), c3, 3)
  cl = conv(cl, string.format("%s.cv3.%d.1", name, i - 1), c3, 3)
  cl = b:conv(cl, { out = nc, k = 1, bias = 1, name = string.format("%s.cv3.%d.2", name, i - 1) })
  if head == "rknn" then -- airockchip/ultralytics_yolov8: box, classes, clipped score sum
    cl = b:sigmoid(cl, { name = string.format("%s.cv3.%d.sigmoid", name, i - 1) })
    local sum = b:reduce(cl, { kind = "sum", axes = { 1 }, name = string.format("%s.sum%d", name, i - 1) })
    b:output(bx, cl, b:clip(sum, { min = 0, max = 1, name = string.format("%s.clip%d", name, i - 1) }))
  else
    local y = b:concat(bx, cl, { axis = 1, name = string.format("%s.cat%d", name, i - 1) })
    -- leading 0 in the reshapes = "the input's batch" (as ONNX Reshape): they follow --batch
    flat[i] = b:reshape(y, { shape = { 0, 4 * reg_max + nc, ny * nx }, name = string.format("%s.view%d", name, i - 1) })
    anchors = anchors + ny * nx
  end
end
if head == "ultralytics" then
  local all = b:concat(flat[1], flat[2], flat[3], { axis = 2, name = "model.22.cat" })
  local box, cls = b:split(all, { axis = 1, sizes = { 4 * reg_max, nc }, name = "model.22.split" })
  -- DFL: expected value of the 16-bin distribution of each box side
  box = b:reshape(box, { shape = { 0, 4, reg_max, anchors }, name = "model.22.dfl.view" })
  box = b:transpose(box, { perm = { 0, 2, 1, 3 }, name = "model.22.dfl.transpose" })
  box = b:softmax(box, { axis = 1, name = "model.22.dfl.softmax" })
  box = b:conv(box, { out = 1, k = 1, bias = 0, name = "model.22.dfl.conv" })
  box = b:reshape(box, { shape = { 0, 4, anchors }, name = "model.22.dfl.out" })
  cls = b:sigmoid(cls, { name = "model.22.sigmoid" })
  b:output(b:concat(box, cls, { axis = 1, name = "model.22.out" }))
end
return b, { macs = sc[5] / 2 * 1e9 * batch * (size / 640) ^ 2, params = sc[4], tol = 0.01,
            source = string.format("Ultralytics YOLOv8 README (YOLOv8%s %.1f GFLOPs = 2x MACs) "
                                   .. "and model summary (%d params)", scale, sc[5], sc[4]) }
