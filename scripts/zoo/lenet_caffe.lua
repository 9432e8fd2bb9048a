-- lenet_caffe.lua — LeNet as in Caffe's examples/mnist/lenet.prototxt: the network most NPU
-- bring-up reports run (the ZYNQ-NVDLA board measurement of research/nvdla.md §5 among them),
-- and a different network from the paper's LeNet-5 (lenet5.lua): 28x28 input, 20 and 50
-- filters of 5x5 without padding, 2x2 max pooling, ip1 500 with ReLU, ip2 10, softmax.
-- Published figures, counted from the prototxt's layer shapes:
--   params: conv1 20·25+20 = 520, conv2 50·20·25+50 = 25,050, ip1 800·500+500 = 400,500,
--           ip2 500·10+10 = 5,010 → 431,080 (Caffe's own model file holds exactly these blobs)
--   MACs:   conv1 20·24·24·25 = 288,000, conv2 50·8·8·500 = 1,600,000, ip1 400,000,
--           ip2 5,000 → 2,293,000
-- Arguments: dtype= (default int8), batch= (default 1).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" then
    error("lenet_caffe: unknown argument '" .. tostring(k) .. "' (known: batch, dtype)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("lenet_caffe: batch must be a positive integer") end
local b = npusim.builder("lenet_caffe", { input = { batch, 1, 28, 28 }, dtype = args.dtype or "int8" })
local x = b:conv(b.input, { out = 20, k = 5, bias = 1, name = "conv1" })
x = b:maxpool(x, { k = 2, s = 2, name = "pool1" })
x = b:conv(x, { out = 50, k = 5, bias = 1, name = "conv2" })
x = b:maxpool(x, { k = 2, s = 2, name = "pool2" })
x = b:flatten(x, { axis = 1, name = "flat" })
x = b:gemm(x, { out = 500, bias = 1, act = "relu", name = "ip1" })
x = b:gemm(x, { out = 10, bias = 1, name = "ip2" })
x = b:softmax(x, { axis = 1, name = "prob" })
b:output(x)
return b, { macs = 2293000 * batch, params = 431080, tol = 0.001,
            source = "Caffe examples/mnist/lenet.prototxt, counted layer by layer" }
