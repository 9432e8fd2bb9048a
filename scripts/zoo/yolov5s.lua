-- yolov5s.lua — YOLOv5s (Ultralytics YOLOv5 v6.0+, models/yolov5s.yaml) at 640x640: yolov5.lua
-- with scale=s (layers, choices and published figures are described there).
-- Arguments: dtype= (default int8), batch= (default 1), act=silu|relu (default silu),
-- head=ultralytics|rknn (default ultralytics).
local npusim, args = ...
local a = { scale = "s", name = "yolov5s" }
for k, v in pairs(args or {}) do
  if k == "scale" or k == "name" then error("yolov5s: unknown argument '" .. k .. "' (known: batch, dtype, act, head)") end
  a[k] = v
end
return npusim.zoo("yolov5", a)
