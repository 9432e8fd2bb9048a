-- builder_test.lua — npusim.builder and npusim.Graph: exact MACs/params of a small net built by
-- hand, output names, script lines, every error path of the builder, .npg round trip,
-- nil + message for recoverable problems.
local T = dofile("tests/lua/check.lua")

-- ---- a small net, MACs and parameters computed by hand -------------------------------------
-- conv1: 3->16, 3x3, pad 1 on 32x32, bias:  MACs 16*32*32*3*9 = 442368, params 16*3*9+16 = 448
-- conv2: 16->16, 3x3, pad 1, no bias:       MACs 16*32*32*16*9 = 2359296, params 2304
-- add (residual), maxpool 2x2/2 -> 16x16x16, flatten -> 4096
-- fc: gemm 4096->10 with bias:              MACs 40960, params 40970
local b = npusim.builder("tiny", { input = { 1, 3, 32, 32 }, dtype = "int8" })
T.eq(b.input, "input", "b.input is the input tensor's name")
T.eq(b.name, "tiny", "b.name")
local x = b:conv(b.input, { out = 16, k = 3, s = 1, p = 1, act = "relu", bias = 1, name = "conv1" })
T.eq(x, "conv1", "a layer's output tensor carries its name")
local y = b:conv(x, { out = 16, k = 3, p = 1, bias = false })
T.eq(y, "conv2", "default name <op><n>, counted per op")
local s = b:add(x, y)
T.eq(s, "add1", "default name of the first add")
local p = b:maxpool(s, { k = 2, s = 2 })
local f = b:flatten(p, { axis = 1 })
local o = b:gemm(f, { out = 10, bias = true, name = "fc" })
T.eq(o, "fc", "gemm name")
local g = b:build()
T.eq(g:macs(), 442368 + 2359296 + 40960, "total MACs")
T.eq(g:params(), 448 + 2304 + 40970, "total params")
T.eq(g:name(), "tiny", "graph name")
T.ok(tostring(g):find("^graph tiny: %d+ layers, 2%.84 MMAC$"), "tostring: " .. tostring(g))
local info = g:info()
T.eq(info[1].name, "conv1", "info[1].name")
T.eq(info[1].op, "conv", "info[1].op")
T.eq(info[1].act, "relu", "act= fused")
T.eq(info[1].macs, 442368, "conv1 MACs")
T.eq(info[1].line, 14, "the script line of the call is recorded") -- keep conv1 on line 14
T.eq(table.concat(info[1].shape, "x"), "1x16x32x32", "conv1 shape")
T.eq(info[1].attrs.out, 16, "attrs: one integer")
T.eq(info[1].attrs.k, 3, "attrs: k")
T.eq(info[#info].name, "fc", "last layer")
T.eq(table.concat(info[#info].shape, "x"), "1x10", "fc shape")
local outs = g:outputs()
T.eq(#outs, 1, "default output: the last layer's")
T.eq(outs[1].name, "fc", "output name")
T.eq(g:inputs()[1].dtype, "int8", "input dtype")

-- build() leaves the builder usable, several outputs, split returns several names
local parts = { b:split(b.input, { axis = 1, sizes = { 1, 2 } }) }
T.eq(#parts, 2, "split returns one name per part")
T.eq(parts[2], "split1:1", "second output named name:1")
local e = b:input("extra", { 1, 2, 8, 8 }, "fp16")
T.eq(e, "extra", "b:input adds an input")
T.eq(b:const("table", { 10, 4 }), "table", "b:const")
b:output(o, parts[1])
local g2 = b:build()
T.eq(#g2:outputs(), 2, "marked outputs")
T.eq(g2:macs(), g:macs(), "split/inputs add no MACs")

-- ---- errors: misuse raises, naming the argument or the attribute and the line ----------------
T.raises("unknown attribute 'kk' for conv (did you mean 'k'?)", function() b:conv(x, { kk = 3 }) end)
T.raises("builder_test.lua:", function() b:conv(x, { kk = 3 }) end)
T.raises("attribute 'out' must be an integer", function() b:conv(x, { out = "a" }) end)
T.raises("attribute 'k' must be an integer or a list of integers, got the non-integer 2.5",
  function() b:conv(x, { out = 4, k = 2.5 }) end)
T.raises("string (a tensor name) expected, got number", function() b:conv(42) end)
T.raises("unknown input tensor 'nope'", function() b:conv("nope", { out = 3 }) end)
T.raises("act = 'relux' is not an activation", function() b:conv(x, { out = 3, act = "relux" }) end)
T.raises("dtype = 'int7' is not a data type", function() b:conv(x, { out = 3, dtype = "int7" }) end)
T.raises("alpha= needs act=", function() b:conv(x, { out = 3, alpha = 0.1 }) end)
T.raises("attribute 'to': unknown dtype 'fp8x'", function() b:cast(x, { to = "fp8x" }) end)
T.raises("must have 1 to 16 values", function() b:reshape(x, { shape = {} }) end)
T.raises("unknown attribute 'out' for relu", function() b:relu(x, { out = 3 }) end)
T.raises("name", function() b:relu(x, { name = "conv1" }) end) -- duplicate layer name
T.raises("unknown key 'inptu' (did you mean 'input'?)",
  function() npusim.builder("x", { inptu = { 1 } }) end)
T.raises("unknown dtype 'int9'", function() npusim.builder("x", { dtype = "int9" }) end)
T.raises("dimension 2 is not an integer", function() npusim.builder("x", { input = { 1, "a" } }) end)
T.raises("npusim.Builder expected", function() b.conv({}, "input") end)
-- absurd shapes and values: one clear error each, never a crash
T.raises("dim 1 is -3", function() npusim.builder("x", { input = { 1, -3, 4, 4 } }) end)
T.raises("dim 0 is 1099511627776", function() npusim.builder("x", { input = { 1 << 40, 3 } }) end)
T.raises("a shape has 1 to 8 dimensions, got 9",
  function() npusim.builder("x", { input = { 1, 1, 1, 1, 1, 1, 1, 1, 1 } }) end)
T.raises("a shape must be a list of integers, got string", function() b:input("z", "1x3") end)
T.raises("out of range", function()
  local bb = npusim.builder("x", { input = { 1, 3, 8, 8 } })
  bb:conv(bb.input, { out = math.mininteger, k = 1 })
  bb:build()
end)
T.raises("must have 1 to 16 values", function() b:conv(x, { out = 3, k = { 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1 } }) end)
T.raises("got the non-integer inf", function() b:conv(x, { out = 1 / 0 }) end)
T.raises("too many inputs (65, at most 64)", function()
  local t = {}
  for i = 1, 65 do t[i] = x end
  b:concat(table.unpack(t))
end)
T.raises("attribute keys must be strings", function() b:conv(x, { 3, out = 3 }) end)
T.raises("attempt to call a string value", function() return ("abc")(1) end)
local nb = npusim.builder("noopts") -- no options: no input yet; b:input adds one
T.eq(nb:input("data", { 1, 4 }), "data", "b:input on a builder without input")
T.eq(nb.input, "data", "b.input then names it")
-- shape errors come from b:build(), naming the script and the layer's line
local bad = npusim.builder("bad", { input = { 1, 3, 4, 4 } })
local _, pos = pcall(error, "", 2); bad:conv(bad.input, { out = 8, k = 7, name = "big" })
T.raises(pos .. "conv 'big'", function() bad:build() end) -- pos = "...builder_test.lua:N: "
T.raises("has no layers", function() npusim.builder("empty", { input = { 1, 2 } }):build() end)

-- ---- attribute types accepted --------------------------------------------------------------
local b3 = npusim.builder("types", { input = { 1, 8, 16, 16 }, dtype = "fp16" })
local r = b3:resize(b3.input, { scale = { 2, 2 }, mode = "nearest" })
r = b3:leaky(r, { alpha = 0.2 })
r = b3:conv(r, { out = 8, k = { 3, 1 }, p = { 1, 0 }, g = 8.0, act = "leaky", alpha = 0.1 })
r = b3:softmax(r, { axis = -1 })
local g3 = b3:build()
local l3 = g3:info()
T.eq(table.concat(l3[#l3].shape, "x"), "1x8x32x32", "resize x2 then conv 3x1 pad 1,0")
T.eq(l3[1].dtype, "fp16", "builder dtype reaches the layers")
T.eq(l3[1].attrs.mode, "nearest", "attrs: string")
T.eq(table.concat(l3[1].attrs.scale, ","), "2,2", "attrs: list")

-- ---- npg round trip, recoverable errors ----------------------------------------------------
local path = os.getenv("TMPDIR") or "/tmp"
-- unique per process: the sandbox seeds math.random the same way every run, so the name also
-- carries a heap address (different in each process under ASLR) to keep concurrent or
-- same-second runs of this test from finding each other's file
local uniq = tostring({}):match("0x(%x+)") or tostring(math.random(1 << 30))
path = path .. "/npusim_builder_test_" .. tostring(os.time()) .. "_" .. uniq .. ".npg"
T.eq(g:write_npg(path), true, "write_npg")
T.fails("exists", g:write_npg(path))
T.eq(g:write_npg(path, { force = true }), true, "write_npg force")
-- attributes in key order, whatever the table's iteration order (issue 15: the .npg of a
-- builder graph changed from run to run); several layouts of the same attributes
do
  local want = "conv      c input d=1 g=1 k=3 out=16 p=1 s=1 act=relu"
  for i = 1, 8 do
    local b2 = npusim.builder("det", { input = { 1, 8, 16, 16 } })
    local t = {}
    local keys = { "out", "k", "s", "p", "d", "g", "act", "name" }
    for j = 1, #keys do -- rotate the insertion order, and grow the table differently
      local k = keys[(j + i) % #keys + 1]
      t[k] = ({ out = 16, k = 3, s = 1, p = 1, d = 1, g = 1, act = "relu", name = "c" })[k]
    end
    b2:conv(b2.input, t)
    local p2 = path .. ".order.npg"
    T.eq(b2:build():write_npg(p2, { force = true }), true, "write_npg " .. i)
    local f = io.open(p2)
    local txt = f and f:read("a") or ""
    if f then f:close() end
    T.ok(txt:find(want, 1, true) ~= nil, "npg attribute order " .. i .. ": " .. txt)
  end
end
local back = npusim.graph(path)
T.ok(back ~= nil, "read back")
if back then
  T.eq(back:macs(), g:macs(), "round trip MACs")
  T.eq(back:params(), g:params(), "round trip params")
  T.eq(#back:info(), #g:info(), "round trip layers")
end
T.fails("missing.npg", npusim.graph("tests/lua/missing.npg"))
T.fails("unknown network", npusim.zoo_info("no_such_net"))
T.raises("unknown key 'format_'", function() npusim.graph("x.npg", { format_ = "npg" }) end)
T.raises("bad argument #1 to 'graph' (string expected, got table)", function() npusim.graph({}) end)

-- zoo plumbing: args reach the script, and its errors name the zoo file and line
T.fails("scripts/zoo/resnet50.lua:", npusim.graph("resnet50", { args = "batch=0" }))
T.fails("scripts/zoo/resnet50.lua:", npusim.graph("resnet50", { args = { batch = 0 } }))
local r2 = npusim.graph("resnet50", { args = { batch = 2 } })
local r1 = npusim.graph("resnet50")
T.eq(r2 and r2:macs(), r1 and 2 * r1:macs(), "args = { batch = 2 } doubles the MACs")
local nets = npusim.networks()
T.ok(#nets >= 1, "networks() lists the zoo")

-- ---- constants with a value: the pattern pass fuses x·Relu6(x+3)/6 into the conv ----------
do
  local hb = npusim.builder("hs", { input = { 1, 3, 8, 8 }, dtype = "fp16" })
  local c = hb:conv(hb.input, { out = 4, k = 3, p = 1, name = "c" })
  local three = hb:const("three", { 1 }, 3)
  local six = hb:const("six", { 1 }, "fp16", 6)
  local q = hb:mul(c, hb:relu6(hb:add(c, three)))
  hb:output(hb:div(q, six))
  local hg = hb:build()
  T.eq(#hg:info(), 1, "x·relu6(x+3)/6 fused into the conv")
  T.eq(hg:info()[1].act, "hardswish", "as act=hardswish")
  T.raises("number expected", function() hb:const("bad", { 1 }, "fp16", "six") end)
end

-- ---- names have a length limit: a loop that grows a name (lua_fuzz campaign) ------------
-- Each layer named after its input's name plus a suffix: without the limit the builder's C
-- copies of the names grew quadratically outside the Lua memory cap (3.7 GB, 51 s).
do
  local nb = npusim.builder("names", { input = { 1, 4 } })
  local x, name = nb.input, "n"
  T.raises("relu: layer name of 2047 bytes (at most 1024): 'nnxnnxxnnxnnxxxnnxnnxxnnxnnxxxxnnxnnxxnn...'", function()
    for _ = 1, 20 do
      name = name .. name .. "x"
      x = nb:relu(x, { name = name })
    end
  end)
  T.raises("input name of 2000 bytes", function() nb:input(string.rep("i", 2000), { 1 }) end)
end

T.report()
