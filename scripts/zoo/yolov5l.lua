-- yolov5l.lua — YOLOv5l (Ultralytics YOLOv5 v6.0+, models/yolov5l.yaml) at 640x640: yolov5.lua
-- with scale=l (layers, choices and published figures are described there).
-- Arguments: dtype= (default int8), batch= (default 1), act=silu|relu (default silu),
-- head=ultralytics|rknn (default ultralytics).
local npusim, args = ...
local a = { scale = "l", name = "yolov5l" }
for k, v in pairs(args or {}) do
  if k == "scale" or k == "name" then error("yolov5l: unknown argument '" .. k .. "' (known: batch, dtype, act, head)") end
  a[k] = v
end
return npusim.zoo("yolov5", a)
