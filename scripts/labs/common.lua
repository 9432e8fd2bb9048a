-- common.lua — helpers shared by the lab scripts (scripts/labs/labN.lua).
-- A lab loads it with   local C = dofile((arg[0]:match("^(.*)[/\\]") or ".") .. "/common.lua")
-- Every lab takes the same two arguments:   npusim script scripts/labs/labN.lua [NETWORK] [OUTDIR]
-- NETWORK is a zoo name or a graph file (default: a small network, so that a first run is
-- quick); OUTDIR must exist (default "."). Every file a lab writes is replaced when it is run
-- again (force = true): the scripts regenerate their figures.
local C = {}

-- Further arguments PRESET.KEY=VALUE change one parameter of every design built on PRESET (an
-- experiment: `lab5.lua resnet18 out nv_small.dram.gbps=1`; the tests use it to make a lab's
-- premise false and see its check fail).
C.override = {}

function C.args(default_net)
  local net = arg[1] or default_net
  local out = arg[2] or "."
  if out:sub(-1) == "/" then out = out:sub(1, -2) end
  for i = 3, #arg do
    local preset, key, value = arg[i]:match("^([%w_]+)%.([^=]+)=(.*)$")
    assert(preset, "argument " .. i .. " '" .. arg[i] .. "': expected PRESET.KEY=VALUE")
    C.override[preset] = C.override[preset] or {}
    C.override[preset][key] = tonumber(value) or value
  end
  return net, out
end

-- path of a file in the output directory
function C.path(out, name) return out .. "/" .. name end

C.written = {}

-- npusim.plot with force; remembers the file for the summary
function C.plot(out, name, opts)
  opts.path = C.path(out, name)
  opts.force = true
  assert(npusim.plot(opts))
  C.written[#C.written + 1] = name
end

function C.csv(out, name, rows, columns)
  assert(npusim.write_csv(C.path(out, name), rows, { force = true, columns = columns }))
  C.written[#C.written + 1] = name
end

-- Opens an architecture (preset name plus settings); nil and a note when it is not available
-- (a model that is not built into this npusim): the lab goes on without it.
function C.arch(name, set)
  if C.override[name] then
    local all = {}
    for k, v in pairs(set or {}) do all[k] = v end
    for k, v in pairs(C.override[name]) do all[k] = v end
    set = all
  end
  local a, msg = npusim.arch(name, set)
  if not a then
    io.stderr:write(string.format("note: skipping %s: %s\n", name, msg))
  end
  return a
end

-- npusim.run, or nil and a note when this design fails on this network (the lab goes on with
-- the other designs; the note says why).
function C.run(label, a, g)
  local r, msg = npusim.run { arch = a, graph = g }
  if not r then io.stderr:write(string.format("note: %s failed: %s\n", label, msg)) end
  return r
end

-- npusim.sweep, or nil and a note (as C.run)
function C.sweep(label, opts)
  local rows, msg = npusim.sweep(opts)
  if not rows then io.stderr:write(string.format("note: %s failed: %s\n", label, msg)) end
  return rows
end

-- Layer time in microseconds: cycles at the result's clock (results of different designs may
-- run at different clocks; compare times, not cycles).
function C.us(r, cycles) return cycles / (r.freq_mhz or 1000) end

function C.summary(title)
  print(title .. ": wrote " .. #C.written .. " files")
  for _, f in ipairs(C.written) do print("  " .. f) end
end

-- "%.3g" for tables printed on the terminal
function C.g(x) return string.format("%.3g", x) end

return C
