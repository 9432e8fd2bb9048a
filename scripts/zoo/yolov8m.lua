-- yolov8m.lua — YOLOv8m (Ultralytics, yolov8.yaml scale m) at 640x640: yolov8.lua with scale=m
-- (layers, choices and published figures are described there).
-- Arguments: dtype= (default int8), batch= (default 1), size= (default 640),
-- head=ultralytics|rknn (default ultralytics).
local npusim, args = ...
local a = { scale = "m", name = "yolov8m" }
for k, v in pairs(args or {}) do
  if k == "scale" or k == "name" then error("yolov8m: unknown argument '" .. k .. "' (known: batch, dtype, size, head)") end
  a[k] = v
end
return npusim.zoo("yolov8", a)
