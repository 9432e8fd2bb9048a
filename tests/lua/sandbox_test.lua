-- sandbox_test.lua — what a script may and may not do (sim/script/sandbox.c): libraries opened,
-- text-only loading, the memory cap, `arg`.
local T = dofile("tests/lua/check.lua")
local args = { ... }

-- libraries that are there
for _, name in ipairs({ "string", "table", "math", "utf8", "io", "os", "npusim" }) do
  T.eq(type(_G[name]), "table", name .. " is available")
end
for _, f in ipairs({ "clock", "time", "date", "getenv", "difftime" }) do
  T.eq(type(os[f]), "function", "os." .. f .. " is available")
end
T.eq(type(io.open), "function", "io.open is available (scripts write files)")

-- and those that are not
for _, f in ipairs({ "execute", "remove", "rename", "exit", "tmpname", "setlocale" }) do
  T.eq(os[f], nil, "os." .. f .. " is removed")
end
T.eq(io.popen, nil, "io.popen is removed")

-- table.move walks its range in C, unseen by the instruction budget: a huge range is refused
local moved = table.move({ 1, 2, 3 }, 1, 3, 2)
T.eq(moved[4], 3, "table.move still moves")
T.eq(#table.move({ 1, 2, 3 }, 1, 3, 1, {}), 3, "table.move into another table")
T.raises("at most 16777216 in a script", table.move, {}, 1, 1e12, 2)
T.eq(package, nil, "no package library")
T.eq(require, nil, "no require")
T.eq(debug, nil, "no debug library")

-- text only: binary chunks are refused by load, loadfile and dofile
local bin = string.dump(function() return 1 end)
local f, msg = load(bin)
T.fails("binary chunk", f, msg)
f, msg = load(bin, "x", "b") -- asking for binary does not help
T.fails("binary chunk", f, msg)
T.eq(load("return 1 + 2")(), 3, "text chunks load")
T.eq(load("return x", "chunk", "t", { x = 7 })(), 7, "load with an environment")
T.fails("cannot open", loadfile("tests/lua/does_not_exist.lua"))
T.raises("cannot open", dofile, "tests/lua/does_not_exist.lua")

-- the memory cap turns a runaway allocation into an error, not a crash
local ok, err = pcall(string.rep, "x", (1 << 30) + 1) -- one byte over the 1 GiB cap
T.eq(ok, false, "a string over the cap is refused")
T.ok(tostring(err):find("not enough memory", 1, true), "memory error: " .. tostring(err))
-- and the state keeps working afterwards
T.eq(#string.rep("y", 1000), 1000, "state usable after a memory error")

-- arg, as in the stand-alone interpreter
T.ok(arg[0]:find("sandbox_test.lua", 1, true), "arg[0] is the script")
T.eq(arg[1], "first", "arg[1]")
T.eq(args[2], "second", "... carries the arguments")

-- npusim.clock is monotonic wall time
local t0 = npusim.clock()
T.ok(npusim.clock() >= t0, "clock")
T.eq(type(npusim.version), "string", "version")
T.report()
