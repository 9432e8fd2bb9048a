-- yolov8n.lua — YOLOv8n (Ultralytics, ultralytics/cfg/models/v8/yolov8.yaml, scale n: depth
-- 0.33, width 0.25, max channels 1024; 80 classes, anchor-free decoupled head) at 640x640.
--
-- Building blocks (ultralytics/nn/modules):
--   Conv(c, k, s)  = conv k x k, stride s, pad k//2, no bias + BatchNorm + SiLU
--   C2f(c_out, n, shortcut): c = c_out/2; cv1 = Conv(2c, 1), split into two halves of c; n
--       Bottlenecks chained on the second half, each output kept; cv2 = Conv(c_out, 1) on the
--       concat of the two halves and the n bottleneck outputs ((2 + n) c channels)
--   Bottleneck(c): Conv(c,3) -> Conv(c,3), + input when shortcut (backbone only)
--   SPPF(c_out, 5): as in YOLOv5 (cv1 to c_in/2, three chained 5x5/1 max pools, cv2)
--   Detect: per scale (P3/8, P4/16, P5/32) two branches: box = Conv(64,3) -> Conv(64,3) ->
--       conv 1x1 with bias to 4 x reg_max(16) = 64; cls = Conv(80,3) -> Conv(80,3) -> conv 1x1
--       with bias to 80 (widths: c2 = max(16, 64/4, 64) = 64, c3 = max(64, min(80, 100)) = 80).
-- Head post-processing — which part is here: the per-scale outputs are concatenated and
-- flattened to (1, 144, 8400) and split into box (64) and class (80) channels; the DFL
-- (Distribution Focal Loss) decoding IS included: box viewed as (1, 4, 16, 8400), transposed to
-- (1, 16, 4, 8400), softmax over the 16 bins and a fixed 1x1 conv 16 -> 1 (its 16 weights are the
-- bin indices; they count as parameters, as in Ultralytics' summary) giving (1, 4, 8400)
-- distances; classes go through a sigmoid; both are concatenated to (1, 84, 8400) as in an
-- exported model. Left out: dist2bbox (anchor-point and stride arithmetic on 4x8400 values),
-- a handful of element-wise ops.
-- Layer names follow the yaml's module indices (model.0 ... model.22).
--
-- Published figures: Ultralytics YOLOv8 model table, YOLOv8n: 3.2 M params, 8.7 GFLOPs at 640
-- (FLOPs = 2 x multiply-accumulates, BN-fused model), i.e. 4.35 GMAC (2 digits, ±0.6%). The
-- unrounded parameter count of the unfused model (Ultralytics' model summary: conv weights, BN
-- gamma/beta, head biases and the 16 DFL weights) is 3,157,200.
-- Arguments: dtype= (default int8), batch= (default 1; MACs scale with it, parameters do not),
-- size= (default 640; a multiple of 32: the square input side — MACs scale with size^2, the
-- published MAC figure is kept for 640 and scaled).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "size" then
    error("yolov8n: unknown argument '" .. tostring(k) .. "' (known: batch, dtype, size)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("yolov8n: batch must be a positive integer") end
local size = math.tointeger(tonumber(args.size or 640))
if not size or size < 32 or size % 32 ~= 0 then
  error("yolov8n: size must be a positive multiple of 32")
end
local nc, reg_max = 80, 16
local b = npusim.builder("yolov8n", { input = { batch, 3, size, size }, dtype = args.dtype or "int8" })

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

-- backbone (channels and repeats already scaled by width 0.25 / depth 0.33)
local x0 = conv(b.input, "model.0", 16, 3, 2)  -- P1/2
local x1 = conv(x0, "model.1", 32, 3, 2)       -- P2/4
local x2 = c2f(x1, "model.2", 32, 1, true)
local x3 = conv(x2, "model.3", 64, 3, 2)       -- P3/8
local x4 = c2f(x3, "model.4", 64, 2, true)
local x5 = conv(x4, "model.5", 128, 3, 2)      -- P4/16
local x6 = c2f(x5, "model.6", 128, 2, true)
local x7 = conv(x6, "model.7", 256, 3, 2)      -- P5/32
local x8 = c2f(x7, "model.8", 256, 1, true)
local x9 = sppf(x8, "model.9", 256, 256)
-- neck (PAN, no 1x1 lateral convs unlike YOLOv5)
local x12 = c2f(cat(up(x9, "model.10"), x6, "model.11"), "model.12", 128, 1, false)
local x15 = c2f(cat(up(x12, "model.13"), x4, "model.14"), "model.15", 64, 1, false)  -- P3 out
local x16 = conv(x15, "model.16", 64, 3, 2)
local x18 = c2f(cat(x16, x12, "model.17"), "model.18", 128, 1, false)                 -- P4 out
local x19 = conv(x18, "model.19", 128, 3, 2)
local x21 = c2f(cat(x19, x9, "model.20"), "model.21", 256, 1, false)                  -- P5 out

-- Detect head
local c2, c3 = math.max(16, 64 // 4, reg_max * 4), math.max(64, math.min(nc, 100))
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
  local y = b:concat(bx, cl, { axis = 1, name = string.format("%s.cat%d", name, i - 1) })
  -- leading 0 in the reshapes = "the input's batch" (as ONNX Reshape): they follow --batch
  flat[i] = b:reshape(y, { shape = { 0, 4 * reg_max + nc, ny * nx }, name = string.format("%s.view%d", name, i - 1) })
  anchors = anchors + ny * nx
end
local all = b:concat(flat[1], flat[2], flat[3], { axis = 2, name = "model.22.cat" })
local box, cls = b:split(all, { axis = 1, sizes = { 4 * reg_max, nc }, name = "model.22.split" })
-- DFL: expected value of the 16-bin distribution of each box side
box = b:reshape(box, { shape = { 0, 4, reg_max, anchors }, name = "model.22.dfl.view" })
box = b:transpose(box, { perm = { 0, 2, 1, 3 }, name = "model.22.dfl.transpose" })
box = b:softmax(box, { axis = 1, name = "model.22.dfl.softmax" })
box = b:conv(box, { out = 1, k = 1, bias = 0, name = "model.22.dfl.conv" })
box = b:reshape(box, { shape = { 0, 4, anchors }, name = "model.22.dfl.out" })
cls = b:sigmoid(cls, { name = "model.22.sigmoid" })
local out = b:concat(box, cls, { axis = 1, name = "model.22.out" })
b:output(out)
return b, { macs = 4.35e9 * batch * (size / 640) ^ 2, params = 3157200,
            source = "Ultralytics YOLOv8 README (YOLOv8n 3.2 M params, 8.7 GFLOPs = 2x MACs) and model summary (3,157,200 params)",
            tol = 0.01 }
