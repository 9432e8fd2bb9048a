-- builder_fuzz_test.lua — random builder calls (fixed seed): every call either works or raises
-- a clean error; b:build() either returns a graph or raises; nothing crashes (CI runs this
-- under ASan/UBSan). Ops, attribute keys and values are drawn from legal and illegal sets.
local T = dofile("tests/lua/check.lua")
math.randomseed(12345)

local OPS = { "conv", "convt", "gemm", "matmul", "maxpool", "avgpool", "gavgpool", "add", "mul",
  "relu", "leaky", "clip", "batchnorm", "softmax", "layernorm", "rmsnorm", "concat", "split",
  "slice", "reshape", "flatten", "squeeze", "unsqueeze", "transpose", "resize", "pad", "gather",
  "cast", "reduce", "identity", "sigmoid", "prelu", "hardsigmoid" }
local KEYS = { "out", "k", "s", "p", "d", "g", "bias", "axis", "sizes", "n", "starts", "ends",
  "axes", "steps", "shape", "perm", "scale", "size", "mode", "to", "kind", "keep", "alpha",
  "min", "max", "eps", "act", "dtype", "outs", "transb", "ceil", "op", "kk", "name", "host" }
local VALUES = { 0, 1, 2, 3, -1, 7, 64, 1 << 31, math.maxinteger, math.mininteger, 0.5, -0.0,
  1 / 0, 0 / 0, "relu", "int8", "fp16", "nearest", "mean", "x", true, false, {}, { 1, 2 },
  { 0, -1 }, { 1, 2, 3, 4 }, { 2, 2 }, { "a" }, { 1.5 } }

local function pick(t) return t[math.random(#t)] end

local built, raised, calls = 0, 0, 0
for round = 1, 60 do
  local dims = {}
  for i = 1, math.random(1, 5) do dims[i] = pick({ 1, 2, 3, 4, 8, 16 }) end
  local ok, b = pcall(npusim.builder, "fuzz" .. round, { input = dims, dtype = pick({ "int8", "fp16" }) })
  if ok then
    local tensors = { b.input }
    local legal = round % 2 == 0 -- every other graph: legal calls only, so that it builds
    for step = 1, 25 do
      local op, args, attrs
      if legal then
        local x = tensors[#tensors]
        op, args, attrs = table.unpack(pick({
          { "conv", { x }, { out = pick({ 1, 4, 8 }), k = 1 } },
          { "relu", { x }, {} },
          { "add", { x, x }, { act = "relu" } },
          { "sigmoid", { x }, {} },
          { "softmax", { x }, { axis = -1 } },
          { "identity", { x }, {} },
        }))
        if op == "conv" and #dims ~= 4 then op, attrs = "relu", {} end
        args = { table.unpack(args) }
      else
        op = pick(OPS)
        args = {}
        for i = 1, math.random(0, 3) do args[i] = pick(tensors) end
        attrs = {}
        for i = 1, math.random(0, 4) do attrs[pick(KEYS)] = pick(VALUES) end
        if attrs.name ~= nil and type(attrs.name) ~= "string" then attrs.name = nil end
      end
      args[#args + 1] = attrs
      calls = calls + 1
      local res = { pcall(b[op], b, table.unpack(args)) }
      if res[1] then
        for i = 2, #res do tensors[#tensors + 1] = res[i] end
      else
        raised = raised + 1
        T.ok(type(res[2]) == "string" and #res[2] > 0, "errors are messages")
      end
    end
    local okb, g = pcall(b.build, b)
    if okb then
      built = built + 1
      T.ok(g:macs() >= 0 and g:params() >= 0, "counts are non-negative")
      T.ok(#g:info() >= 1, "a built graph has layers")
    else
      T.ok(not legal, "legal calls build: " .. tostring(g))
      T.ok(type(g) == "string" and g:find("builder_fuzz_test.lua:%d+: ") ~= nil,
        "build errors name the script line: " .. tostring(g))
    end
  end
end
print(string.format("%d calls, %d raised, %d graphs built", calls, raised, built))
T.ok(calls > 1000, "enough calls")
T.ok(built >= 30, "the legal half builds")
T.report()
