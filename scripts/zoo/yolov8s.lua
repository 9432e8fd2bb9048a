-- yolov8s.lua — YOLOv8s (Ultralytics, yolov8.yaml scale s) at 640x640: yolov8.lua with scale=s
-- (layers, choices and published figures are described there).
-- Arguments: dtype= (default int8), batch= (default 1), size= (default 640),
-- head=ultralytics|rknn (default ultralytics).
local npusim, args = ...
local a = { scale = "s", name = "yolov8s" }
for k, v in pairs(args or {}) do
  if k == "scale" or k == "name" then error("yolov8s: unknown argument '" .. k .. "' (known: batch, dtype, size, head)") end
  a[k] = v
end
return npusim.zoo("yolov8", a)
