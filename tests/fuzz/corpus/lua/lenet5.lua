-- lenet5.lua — LeNet-5 (LeCun, Bottou, Bengio, Haffner, "Gradient-Based Learning Applied to
-- Document Recognition", Proc. IEEE 86(11), 1998, Section II.B and Table I), as the paper
-- describes it, on a 1x1x32x32 input:
--   C1  conv 6@5x5 -> 6x28x28, tanh (the paper's squashing function is A*tanh(S*a); the
--       scale factors do not change the operation count)
--   S2  2x2/2 subsampling: the sum of 4 inputs times one trainable coefficient plus a trainable
--       bias per map = avgpool followed by a depthwise 1x1 conv with bias, then tanh
--   C3  conv 16@5x5 -> 16x10x10 where each output map sees only the S2 maps of Table I (6 maps
--       see 3 neighbours, 9 see 4, 1 sees all 6): one conv per output map on a slice/concat of
--       its inputs, then the 16 maps are concatenated
--   S4  as S2 on 16 maps -> 16x5x5;  C5 conv 120@5x5 -> 120x1x1;  F6 FC 84, tanh
--   output: 10 Euclidean RBF units over the 84 F6 outputs, counted as an FC without bias (same
--       84 multiply-accumulates per class, 840 parameters)
-- With c3=full the C3 table is replaced by a plain 16-channel conv (the "modern" LeNet-5 of
-- most textbooks and tutorials; then MACs 416,520+1,576 and params 61,740).
--
-- Published figures, from the paper's per-layer counts (Section II.B):
--   trainable parameters 156 + 12 + 1,516 + 32 + 48,120 + 10,164 + 840 = 60,840 (the paper
--   rounds the total to "60,000"); exact here.
--   MACs: the paper counts 340,908 connections, which include one bias per output and the 4
--   additions of each subsampling unit. Multiplies only: C1 117,600 + S2 1,176 + C3 150,000 +
--   S4 400 + C5 48,000 + F6 10,080 + output 840 = 328,096; exact here.
-- Arguments: dtype= (default int8), batch= (default 1), c3=table|full (default table).
local npusim, args = ...
args = args or {}
for k in pairs(args) do
  if k ~= "batch" and k ~= "dtype" and k ~= "c3" then
    error("lenet5: unknown argument '" .. tostring(k) .. "' (known: batch, dtype, c3)")
  end
end
local batch = math.tointeger(tonumber(args.batch or 1))
if not batch or batch < 1 then error("lenet5: batch must be a positive integer") end
local c3full = args.c3 == "full"
if args.c3 ~= nil and args.c3 ~= "full" and args.c3 ~= "table" then
  error("lenet5: c3 must be 'table' or 'full', got '" .. tostring(args.c3) .. "'")
end
local b = npusim.builder("lenet5", { input = { batch, 1, 32, 32 }, dtype = args.dtype or "int8" })

-- trainable subsampling: mean of 2x2 (x4 = sum), per-map coefficient and bias, squashing
local function subsample(x, name, maps)
  x = b:avgpool(x, { k = 2, s = 2, name = name .. ".pool" })
  return b:conv(x, { out = maps, k = 1, g = maps, bias = 1, act = "tanh", name = name })
end

-- Table I of the paper: which S2 maps (0-based) feed each C3 map
local c3_table = {
  { 0, 1, 2 }, { 1, 2, 3 }, { 2, 3, 4 }, { 3, 4, 5 }, { 0, 4, 5 }, { 0, 1, 5 },
  { 0, 1, 2, 3 }, { 1, 2, 3, 4 }, { 2, 3, 4, 5 }, { 0, 3, 4, 5 }, { 0, 1, 4, 5 }, { 0, 1, 2, 5 },
  { 0, 1, 3, 4 }, { 1, 2, 4, 5 }, { 0, 2, 3, 5 }, { 0, 1, 2, 3, 4, 5 },
}

local x = b:conv(b.input, { out = 6, k = 5, bias = 1, act = "tanh", name = "C1" })
x = subsample(x, "S2", 6)
if c3full then
  x = b:conv(x, { out = 16, k = 5, bias = 1, act = "tanh", name = "C3" })
else
  local maps = {}
  for m, ins in ipairs(c3_table) do
    local src
    if #ins == 6 then
      src = x
    else -- gather the listed maps: contiguous runs become one slice each
      local parts, i = {}, 1
      while i <= #ins do
        local j = i
        while j < #ins and ins[j + 1] == ins[j] + 1 do j = j + 1 end
        parts[#parts + 1] = b:slice(x, { starts = { ins[i] }, ends = { ins[j] + 1 }, axes = { 1 },
                                         name = string.format("C3.%d.in%d", m - 1, #parts) })
        i = j + 1
      end
      if #parts == 1 then
        src = parts[1]
      else
        parts[#parts + 1] = { axis = 1, name = string.format("C3.%d.in", m - 1) }
        src = b:concat(table.unpack(parts))
      end
    end
    maps[m] = b:conv(src, { out = 1, k = 5, bias = 1, act = "tanh", name = string.format("C3.%d", m - 1) })
  end
  maps[#maps + 1] = { axis = 1, name = "C3" }
  x = b:concat(table.unpack(maps))
end
x = subsample(x, "S4", 16)
x = b:conv(x, { out = 120, k = 5, bias = 1, act = "tanh", name = "C5" })
x = b:flatten(x, { axis = 1, name = "flatten" })
x = b:gemm(x, { out = 84, bias = 1, act = "tanh", name = "F6" })
x = b:gemm(x, { out = 10, bias = 0, name = "output" })
b:output(x)
if c3full then
  return b, { macs = 418096 * batch, params = 61740,
              source = "LeCun et al. 1998 Sec. II.B with a fully connected C3 (derived, see header)",
              tol = 0.001 }
end
return b, { macs = 328096 * batch, params = 60840,
            source = "LeCun et al. 1998 Sec. II.B per-layer counts (60,840 params; 328,096 MACs derived from 340,908 connections)",
            tol = 0.001 }
