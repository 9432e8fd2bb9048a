-- validate.lua — generates docs/validation.md: every published figure we have, simulated.
--
--   npusim script scripts/validate.lua OUT.md DATA.lua...
--   (scripts/validate.sh passes docs/validation.md and scripts/validation/*.lua)
--
-- Each DATA file returns either a plain list of rows or { rows = {...}, calibration = {...} }
-- (the format is fixed in docs/validation.md's preamble; see also docs/params.md). A row:
--   { id = "rk3588.resnet50", family = "rknn_model_zoo v2.3.2",
--     arch = "rk3588", graph = "resnet50", set = { cores = 1 }, args = "tokens=128",
--     metric = "fps" | "ms" | "us" | "cycles" | any numeric total field ("npu_power_mw",
--     "area_mm2", ...), layer = "Conv1" (optional: that layer's cycles),
--     base = "Conv0" (optional, with layer: that layer's cycles minus base's — a profiler
--     whose every layer carries the same fixed overhead is compared as a difference),
--     published = 110.1, tol = 0.15, source = "rknn_model_zoo v2.3.2 README" , note = "..." }
-- `id` is unique across all files (calibration entries name rows by it); `family` is the
-- measurement family (tool, runtime, method) and is shown as a column.
-- A calibration entry:
--   { name = "what is fitted", params = { ["dram.gbps"] = { lo = 10, hi = 68.3 } },
--     archs = { "ascend310" } (optional), rows = { "ascend310.resnet50", ... },
--     source = "why these rows constrain these parameters, where lo/hi come from" }
-- The report is generated, never typed: do not edit docs/validation.md by hand.

local out = assert(arg[1], "usage: validate.lua OUT.md DATA.lua...")

-- Bad data is one error naming the file and the row or entry, never a half-written report.
local function bad(file, what, msg)
  error(string.format("%s: %s: %s", file, what, msg), 0)
end

local rows, files, calib, byid = {}, {}, {}, {}
for i = 2, #arg do
  local file = arg[i]
  local chunk, lerr = loadfile(file, "t")
  if not chunk then bad(file, "file", lerr) end
  local data = chunk()
  if type(data) ~= "table" then bad(file, "file", "must return a list of rows or { rows = ..., calibration = ... }") end
  local list, entries = data, {}
  if data.rows ~= nil or data.calibration ~= nil then
    list, entries = data.rows or {}, data.calibration or {}
    for k in pairs(data) do
      if k ~= "rows" and k ~= "calibration" then
        bad(file, "file", "unknown key '" .. tostring(k) .. "' (expected rows, calibration)")
      end
    end
  end
  if type(list) ~= "table" or type(entries) ~= "table" then
    bad(file, "file", "rows and calibration must be lists")
  end
  files[#files + 1] = file
  for n, r in ipairs(list) do
    local what = "row " .. n .. (type(r) == "table" and r.id and (" '" .. tostring(r.id) .. "'") or "")
    if type(r) ~= "table" then bad(file, what, "not a table") end
    if type(r.id) ~= "string" or r.id == "" then bad(file, what, "needs an id (a unique string)") end
    if byid[r.id] then
      bad(file, what, "duplicate id (also row " .. byid[r.id].index .. " of " .. byid[r.id].file .. ")")
    end
    if type(r.family) ~= "string" or r.family == "" then bad(file, what, "needs a family (the measurement family)") end
    if type(r.arch) ~= "string" or type(r.graph) ~= "string" then bad(file, what, "needs arch and graph") end
    if type(r.published) ~= "number" or not (r.published > 0) then bad(file, what, "published must be a positive number") end
    if r.set ~= nil and type(r.set) ~= "table" then bad(file, what, "set must be a table") end
    if r.base ~= nil and (type(r.base) ~= "string" or not r.layer) then
      bad(file, what, "base names a layer and needs layer")
    end
    r.file, r.index = file, n
    byid[r.id] = r
    rows[#rows + 1] = r
  end
  for n, c in ipairs(entries) do
    if type(c) ~= "table" then bad(file, "calibration " .. n, "not a table") end
    c.file, c.index = file, n
    calib[#calib + 1] = c
  end
end

-- Calibration entries are checked once every file is read (an entry may name rows of another
-- file). A parameter must not be fitted by two entries on the same arch, nor set by a row it
-- is fitted on (the fit would silently lose).
local fitted = {}
for number, c in ipairs(calib) do
  c.number = number
  local what = "calibration " .. c.index .. (type(c.name) == "string" and (" '" .. c.name .. "'") or "")
  if type(c.name) ~= "string" or c.name == "" then bad(c.file, what, "needs a name") end
  if type(c.params) ~= "table" or next(c.params) == nil then bad(c.file, what, "needs params = { key = { lo =, hi = } }") end
  c.keys = {}
  for k, b in pairs(c.params) do
    if type(k) ~= "string" or type(b) ~= "table" or type(b.lo) ~= "number" or type(b.hi) ~= "number"
       or not (b.lo < b.hi) then
      bad(c.file, what, "parameter '" .. tostring(k) .. "' needs numbers lo < hi")
    end
    c.keys[#c.keys + 1] = k
  end
  table.sort(c.keys)
  if type(c.rows) ~= "table" or #c.rows == 0 then bad(c.file, what, "needs rows = { row ids }") end
  if type(c.source) ~= "string" or c.source == "" then bad(c.file, what, "needs a source (why these rows, where lo/hi come from)") end
  if c.archs ~= nil and type(c.archs) ~= "table" then bad(c.file, what, "archs must be a list") end
  c.archset = nil
  if c.archs then
    c.archset = {}
    for _, a in ipairs(c.archs) do c.archset[a] = true end
  end
  c.fitrows = {}
  for _, id in ipairs(c.rows) do
    local r = byid[id]
    if not r then bad(c.file, what, "no row with id '" .. tostring(id) .. "'") end
    for _, k in ipairs(c.keys) do
      if r.set and r.set[k] ~= nil then
        bad(c.file, what, "row '" .. id .. "' sets '" .. k .. "' itself, which this entry fits")
      end
    end
    c.fitrows[#c.fitrows + 1] = r
  end
  for _, r in ipairs(c.fitrows) do
    if not c.archset or c.archset[r.arch] then
      local known = {}
      for _, p in ipairs(assert(npusim.params(r.arch))) do known[p.name] = p end
      for _, k in ipairs(c.keys) do
        if not known[k] then bad(c.file, what, "'" .. k .. "' is not a parameter of " .. r.arch) end
        if math.type(known[k].value) ~= "float" then
          bad(c.file, what, "'" .. k .. "' is not a real-valued parameter of " .. r.arch ..
            " (only those can be fitted; an integer, enum or flag is a design choice)")
        end
        local b = c.params[k]
        if (known[k].min ~= 0 or known[k].max ~= 0) and (b.lo < known[k].min or b.hi > known[k].max) then
          bad(c.file, what, string.format("'%s' range [%g, %g] leaves the parameter's [%g, %g]",
            k, b.lo, b.hi, known[k].min, known[k].max))
        end
        local key = r.arch .. "|" .. k
        if fitted[key] and fitted[key] ~= c then
          bad(c.file, what, "'" .. k .. "' on " .. r.arch .. " is already fitted by '" .. fitted[key].name .. "' (" .. fitted[key].file .. ")")
        end
        fitted[key] = c
      end
    end
  end
end

local graphs = {}
local function graph(r)
  local key = r.graph .. "|" .. (r.args or "")
  if not graphs[key] then
    local g, msg = npusim.graph(r.graph, r.args and { args = r.args } or nil)
    if not g then bad(r.file, "row " .. r.index .. " '" .. r.id .. "'", tostring(msg)) end
    graphs[key] = g
  end
  return graphs[key]
end

-- One row simulated with its own `set` plus `extra` (the values a fit is trying). Results are
-- cached by (row, values): the fits of one entry (all rows, then each row left out) start from
-- the same point and share most of their first evaluations.
local cache, n_sims = {}, 0
local function simulate(r, extra)
  local set, key = r.set, r.id
  if extra and next(extra) then
    set, key = {}, { r.id }
    for k, v in pairs(r.set or {}) do set[k] = v end
    local ks = {}
    for k in pairs(extra) do ks[#ks + 1] = k end
    table.sort(ks)
    for _, k in ipairs(ks) do
      set[k] = extra[k]
      key[#key + 1] = string.format("%s=%.17g", k, extra[k])
    end
    key = table.concat(key, "|")
  end
  local hit = cache[key]
  if hit then return hit[1], hit[2] end
  n_sims = n_sims + 1
  local v, msg
  local res, err = npusim.run { arch = r.arch, graph = graph(r), set = set }
  if not res then
    msg = err
  else
    local t = res.total
    if r.layer then
      for _, l in ipairs(res.layers) do
        if l.name == r.layer then v = l.cycles break end
      end
      if not v then msg = "no layer " .. r.layer end
      if v and r.base then
        local b
        for _, l in ipairs(res.layers) do
          if l.name == r.base then b = l.cycles break end
        end
        if b then v = v - b else v, msg = nil, "no layer " .. r.base end
      end
    elseif r.metric == "fps" then v = t.fps
    elseif r.metric == "ms" then v = t.time_us / 1000
    elseif r.metric == "us" then v = t.time_us
    elseif r.metric == "cycles" then v = t.cycles
    elseif type(t[r.metric]) == "number" then v = t[r.metric] -- any total: npu_power_mw, area_mm2
    else msg = "unknown metric " .. tostring(r.metric) end
  end
  cache[key] = { v, msg }
  return v, msg
end

local function fmt(v)
  if math.type(v) == "integer" then return string.format("%d", v) end
  if v >= 1000 then return string.format("%.0f", v) end
  return string.format("%.4g", v)
end

local function pct(e) return string.format("%+.1f %%", 100 * e) end

local function setstr(s)
  if not s then return "" end
  local keys = {}
  for k in pairs(s) do keys[#keys + 1] = k end
  table.sort(keys)
  for i, k in ipairs(keys) do keys[i] = k .. "=" .. tostring(s[k]) end
  return table.concat(keys, " ")
end

local function median(xs)
  if #xs == 0 then return nil end
  local t = {}
  for i, x in ipairs(xs) do t[i] = x end
  table.sort(t)
  local m = (#t + 1) // 2
  return #t % 2 == 1 and t[m] or (t[m] + t[m + 1]) / 2
end

---------------------------------------------------------------------------------------------
-- The fit. Each parameter is searched in u in [0, 1]: u maps linearly onto [lo, hi], or
-- logarithmically when hi/lo > 10 (a cost known to within an order of magnitude is as likely
-- to be 2x too small as 2x too large). The objective is the sum over the rows of
-- (ln(simulated / published))^2, the same penalty for 2x too slow and 2x too fast.
--
-- Every objective evaluation is one simulation per row (milliseconds to a second each: an
-- Ascend 310 row at batch 32 takes ~0.4 s of CPU), so the method is chosen to need few of
-- them while never leaving the bounds:
--   1. Levenberg-Marquardt on the residuals from the preset's values, the Jacobian by finite
--      differences, a parameter at a bound whose gradient points outwards held there (active
--      set). Where two parameters are correlated (a fixed cost per task and a cost per register
--      entry), coordinate descent zig-zags down the valley they make for hundreds of
--      evaluations; LM follows it in a few steps. A preset kept at its fit is confirmed in a
--      few evaluations.
--   2. Only when that ends more than 2 % from the preset (or the preset is out of range: the
--      cases that print a warning), a global start as well: one coordinate sweep, each
--      parameter minimised over its whole range by Brent's method (golden section with
--      parabolic steps) to 3 % of the range, then LM again; the better result is kept. This
--      finds the right basin even from a bad preset value.
--   3. Leave-one-out fits reuse the full fit's Jacobian: the other rows are linearised around
--      the full fit (no simulation), and refined on real simulations only where a parameter
--      moves more than 5 % of its range (fit_loo). The left-out row is always simulated.
-- On an 18-row, 2-parameter Ascend 310 entry this took 614 simulations (28 s CPU) instead of
-- 3777 for golden-section coordinate descent, the linearised LOO errors within 0.2 points of
-- fully refitted ones. Simulations are cached by (row, parameter values) and run one at a
-- time, so the page is deterministic (npusim.sweep's threads only parallelise points of one
-- graph, and an evaluation is one point of many graphs).
-- VALIDATE_DEBUG=1 in the environment prints the evaluations each fit took.
---------------------------------------------------------------------------------------------
local UTOL = 1e-4          -- in u: 0.1 % of a log decade range, 0.01 % of a linear one

local function to_value(b, u)
  if b.hi / b.lo > 10 and b.lo > 0 then return b.lo * (b.hi / b.lo) ^ u end
  return b.lo + (b.hi - b.lo) * u
end
local function to_u(b, v)
  v = math.max(b.lo, math.min(b.hi, v))
  if b.hi / b.lo > 10 and b.lo > 0 then return math.log(v / b.lo) / math.log(b.hi / b.lo) end
  return (v - b.lo) / (b.hi - b.lo)
end

-- Minimum of f on [a, b] to UTOL by Brent's method (R. Brent, Algorithms for Minimization
-- without Derivatives, 1973, ch. 5; the bounded form of netlib fmin / SciPy fminbound): a
-- golden-section search that takes a parabolic step through its three best points whenever
-- that step is safe. Near a minimum the objective is close to a parabola, so it converges in a
-- handful of evaluations where pure golden section needs ~20; where the simulation's output is
-- steppy it falls back to golden steps and stays as robust. Returns (x, f(x)).
local function brent(f, a, b, tol)
  local c = (3 - math.sqrt(5)) / 2
  local v = a + c * (b - a)
  local w, x = v, v
  local fx = f(x)
  local fv, fw = fx, fx
  local d, e = 0, 0
  while true do
    local xm = (a + b) / 2
    local tol1 = 1e-8 * math.abs(x) + tol / 3
    local tol2 = 2 * tol1
    if math.abs(x - xm) <= tol2 - (b - a) / 2 then break end
    local golden = true
    if math.abs(e) > tol1 then
      local r = (x - w) * (fx - fv)
      local q = (x - v) * (fx - fw)
      local p = (x - v) * q - (x - w) * r
      q = 2 * (q - r)
      if q > 0 then p = -p end
      q = math.abs(q)
      local etemp = e
      e = d
      if math.abs(p) < math.abs(q * etemp / 2) and p > q * (a - x) and p < q * (b - x) then
        d = p / q
        golden = false
        local u = x + d
        if u - a < tol2 or b - u < tol2 then d = xm >= x and tol1 or -tol1 end
      end
    end
    if golden then
      e = (x >= xm) and (a - x) or (b - x)
      d = c * e
    end
    local u = x + ((math.abs(d) >= tol1) and d or (d >= 0 and tol1 or -tol1))
    local fu = f(u)
    if fu <= fx then
      if u >= x then a = x else b = x end
      v, fv, w, fw, x, fx = w, fw, x, fx, u, fu
    else
      if u < x then a = u else b = u end
      if fu <= fw or w == x then
        v, fv, w, fw = w, fw, u, fu
      elseif fu <= fv or v == x or v == w then
        v, fv = u, fu
      end
    end
  end
  return x, fx
end

-- values of the entry's parameters for the u vector, as a --set table
local function point(c, u)
  local v = {}
  for i, k in ipairs(c.keys) do v[k] = to_value(c.params[k], u[i]) end
  return v
end

local n_obj = 0
-- residuals ln(simulated / published) of `fitrows` at u, and their sum of squares
local function residuals(c, fitrows, u)
  n_obj = n_obj + 1
  local v, res, sum = point(c, u), {}, 0
  for j, r in ipairs(fitrows) do
    local extra = (not c.archset or c.archset[r.arch]) and v or nil
    local sim, msg = simulate(r, extra)
    if not sim then
      error(string.format("%s: calibration '%s': row '%s' fails at %s: %s", c.file, c.name, r.id,
        setstr(v), tostring(msg)), 0)
    end
    res[j] = math.log(sim / r.published)
    sum = sum + res[j] * res[j]
  end
  return res, sum
end

-- Solves the n x n system A x = b (n = number of parameters, a handful) by Gaussian
-- elimination with partial pivoting; nil when singular.
local function solve(A, b)
  local n, M = #b, {}
  for i = 1, n do M[i] = { table.unpack(A[i]) }; M[i][n + 1] = b[i] end
  for k = 1, n do
    local piv = k
    for i = k + 1, n do if math.abs(M[i][k]) > math.abs(M[piv][k]) then piv = i end end
    if M[piv][k] == 0 then return nil end
    M[k], M[piv] = M[piv], M[k]
    for i = k + 1, n do
      local f = M[i][k] / M[k][k]
      for j = k, n + 1 do M[i][j] = M[i][j] - f * M[k][j] end
    end
  end
  local x = {}
  for i = n, 1, -1 do
    local t = M[i][n + 1]
    for j = i + 1, n do t = t - M[i][j] * x[j] end
    x[i] = t / M[i][i]
  end
  return x
end

local COARSE = 0.03       -- tolerance (in u) of the global sweep that gives LM its start
local FD = 1e-3           -- finite-difference step (in u) of the Jacobian
local MAX_LM = 40
local LOO_TOL = 1e-3      -- a refined LOO fit stops at this step (in u): 0.1-0.5 % of a value
local LIN_OK = 0.05       -- a LOO fit moving no parameter more than this (in u) stays linearised

-- (The full fit runs to UTOL, as its values are compared with the presets to 2 %; a LOO fit
-- only has to place its left-out row's error to the 0.1 % the page prints.)

-- Jacobian d res_j / d u_i at u (res = resfn(u)), forward differences (backward at the upper
-- bound): n more evaluations of resfn.
local function jacobian(resfn, n, u, res)
  local J = {}
  for j = 1, #res do J[j] = {} end
  for i = 1, n do
    local h = u[i] + FD <= 1 and FD or -FD
    local t = { table.unpack(u) }; t[i] = u[i] + h
    local ri = resfn(t)
    for j = 1, #res do J[j][i] = (ri[j] - res[j]) / h end
  end
  return J
end

-- Minimises the sum of squares of resfn(u) (a vector) over u in [0, 1]^n, from u0 (see the
-- method note above). `global`: start with the coarse coordinate sweep. `jac(u, res)`: the
-- Jacobian at u (default: finite differences of resfn). Returns u, the minimum, residuals.
local function minimise(resfn, n, u0, global, jac, tol)
  tol = tol or UTOL
  jac = jac or function(u, res) return jacobian(resfn, n, u, res) end
  local u = { table.unpack(u0) }
  local res, best = resfn(u)
  -- 1. global: one coordinate sweep, each parameter over its whole range to COARSE
  if global then
    for i = 1, n do
      local function f(x) local t = { table.unpack(u) }; t[i] = x; local _, v = resfn(t); return v end
      local x, fx = brent(f, 0, 1, COARSE)
      if fx < best then u[i], best = x, fx end
    end
    res, best = resfn(u)
  end
  -- 2. local: Levenberg-Marquardt on the residuals, bounds by an active set
  local lambda = 1e-3
  for _ = 1, MAX_LM do
    local J = jac(u, res)
    local g, H = {}, {}
    for i = 1, n do
      g[i], H[i] = 0, {}
      for j = 1, #res do g[i] = g[i] + J[j][i] * res[j] end
      for k = 1, n do
        H[i][k] = 0
        for j = 1, #res do H[i][k] = H[i][k] + J[j][i] * J[j][k] end
      end
    end
    -- a parameter at a bound whose gradient pushes it outwards stays there
    local free = {}
    for i = 1, n do
      if not ((u[i] <= 0 and g[i] > 0) or (u[i] >= 1 and g[i] < 0)) then free[#free + 1] = i end
    end
    if #free == 0 then break end
    local improved = false
    while lambda < 1e8 do
      local A, b = {}, {}
      for a, i in ipairs(free) do
        A[a] = {}
        for bb, k in ipairs(free) do A[a][bb] = H[i][k] end
        A[a][a] = A[a][a] * (1 + lambda) + 1e-12
        b[a] = -g[i]
      end
      local d = solve(A, b)
      if d then
        local t, step = { table.unpack(u) }, 0
        for a, i in ipairs(free) do
          t[i] = math.max(0, math.min(1, u[i] + d[a]))
          step = math.max(step, math.abs(t[i] - u[i]))
        end
        if step <= tol / 10 then break end
        local rt, ft = resfn(t)
        if ft < best then
          local gain = best - ft
          u, res, best, improved = t, rt, ft, true
          lambda = math.max(lambda / 4, 1e-9)
          if step <= tol or gain <= 1e-12 + (tol / UTOL) * 1e-9 * best then improved = false end
          break
        end
      end
      lambda = lambda * 8
    end
    if not improved then break end
  end
  return u, best, res
end

local function debug(c, what, rows)
  if os and os.getenv and os.getenv("VALIDATE_DEBUG") then
    io.stderr:write(string.format("%s '%s' (%d rows): %d evaluations, %d simulations so far\n",
      what, c.name, rows, n_obj, n_sims))
  end
  n_obj = 0
end

-- The full fit of an entry on all its rows, from the preset's values u0: the residuals at the
-- fit and every row's Jacobian there (which the leave-one-out fits reuse).
-- A preset kept at its fit (the steady state) is confirmed by LM from its own values in a few
-- evaluations; the global sweep runs only when that ends more than 2 % from the preset or the
-- preset is outside the range (the cases that print a warning), and the better result is kept.
local function fit_full(c, u0, v0)
  local n = #c.keys
  local resfn = function(u) return residuals(c, c.fitrows, u) end
  local u, best, res = minimise(resfn, n, u0, false)
  local far = false
  for i, k in ipairs(c.keys) do
    local v = to_value(c.params[k], u[i])
    if v0[k] < c.params[k].lo or v0[k] > c.params[k].hi or math.abs(v - v0[k]) > 0.02 * math.abs(v) then
      far = true
    end
  end
  if far then
    local ug, bestg, resg = minimise(resfn, n, u0, true)
    if bestg < best then u, best, res = ug, bestg, resg end
  end
  local J = jacobian(resfn, #c.keys, u, res)
  debug(c, "full fit", #c.fitrows)
  return u, res, J
end

-- The fit without row `out` (an index into c.fitrows). The other rows' residuals are first
-- taken as linear around the full fit, r_j + J_j (u - u_full): that fit costs no simulation,
-- and leaving one row out of many moves the parameters little, where the linear model is
-- exact to second order. If a parameter moves more than LIN_OK, the fit is redone on the
-- simulated residuals of the other rows from there (their Jacobian taken once where the
-- refinement starts, then kept: a chord iteration), so a row that pulls the fit hard gets a
-- real fit.
local function fit_loo(c, out, ufull, rfull, J)
  local n, others = #c.keys, {}
  for j, r in ipairs(c.fitrows) do if j ~= out then others[#others + 1] = j end end
  local Jo = {}
  for a, j in ipairs(others) do Jo[a] = J[j] end
  local function linear(u)
    local res, sum = {}, 0
    for a, j in ipairs(others) do
      local v = rfull[j]
      for i = 1, n do v = v + J[j][i] * (u[i] - ufull[i]) end
      res[a], sum = v, sum + v * v
    end
    return res, sum
  end
  local u = minimise(linear, n, ufull, false, function() return Jo end)
  local shift = 0
  for i = 1, n do shift = math.max(shift, math.abs(u[i] - ufull[i])) end
  if shift > LIN_OK then
    local rows = {}
    for a, j in ipairs(others) do rows[a] = c.fitrows[j] end
    local resfn = function(v) return residuals(c, rows, v) end
    local Jr   -- the Jacobian where the refinement starts, then kept (a chord iteration)
    u = minimise(resfn, n, u, false, function(v, res)
      Jr = Jr or jacobian(resfn, n, v, res)
      return Jr
    end, LOO_TOL)
  end
  debug(c, "leave-one-out fit", #others)
  return u
end

---------------------------------------------------------------------------------------------
-- The plain table: every row with its preset as it is (what a user of npusim gets).
---------------------------------------------------------------------------------------------
local calibrated = {}
for _, c in ipairs(calib) do
  for _, r in ipairs(c.fitrows) do calibrated[r.id] = calibrated[r.id] or {}; table.insert(calibrated[r.id], c) end
end

local table_lines = {
  "| id | family | arch | settings | network | metric | simulated | published | error | tol | within | fitted in | source |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
}
local n_ok, n_all, plain_errs, plain_fam, plain_fams = 0, 0, {}, {}, {}
for _, r in ipairs(rows) do
  local sim, msg = simulate(r)
  local metric = r.layer and ("cycles of " .. r.layer .. (r.base and (" minus " .. r.base) or ""))
    or r.metric
  local simtxt, errtxt, within = "failed: " .. tostring(msg), "", "no"
  if sim then
    local e = (sim - r.published) / r.published
    simtxt = fmt(sim)
    errtxt = string.format("%+.1f%%", 100 * e)
    within = math.abs(e) <= (r.tol or 0) + 1e-12 and "yes" or "no"
    if not calibrated[r.id] then
      plain_errs[#plain_errs + 1] = math.abs(e)
      if not plain_fam[r.family] then plain_fam[r.family] = {}; plain_fams[#plain_fams + 1] = r.family end
      table.insert(plain_fam[r.family], math.abs(e))
    end
  end
  n_all = n_all + 1
  if within == "yes" then n_ok = n_ok + 1 end
  local fitted_in = {}
  for _, c in ipairs(calibrated[r.id] or {}) do fitted_in[#fitted_in + 1] = "C" .. c.number end
  table_lines[#table_lines + 1] = string.format("| %s | %s | %s | %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s |",
    r.id, r.family, r.arch, setstr(r.set), r.graph, r.args and (" (" .. r.args .. ")") or "", metric, simtxt,
    fmt(r.published), errtxt, r.tol and string.format("%g%%", 100 * r.tol) or "-", within,
    #fitted_in > 0 and table.concat(fitted_in, ", ") or "—",
    (r.source or "") .. (r.note and (" — " .. r.note) or ""))
end

---------------------------------------------------------------------------------------------
-- One section per calibration entry: preset value, full fit, in-sample and leave-one-out.
---------------------------------------------------------------------------------------------
local function wrap(text, width)
  local out, line = {}, ""
  for word in text:gmatch("%S+") do
    if #line > 0 and #line + 1 + #word > width then out[#out + 1] = line; line = word
    else line = #line > 0 and (line .. " " .. word) or word end
  end
  if #line > 0 then out[#out + 1] = line end
  return out
end

local function valstr(c, v)
  local t = {}
  for _, k in ipairs(c.keys) do t[#t + 1] = k .. " = " .. fmt(v[k]) end
  return table.concat(t, ", ")
end

local calib_lines, loo_errs, n_loo_undet, warnings = {}, {}, 0, 0
local function add(l) calib_lines[#calib_lines + 1] = l end
for _, c in ipairs(calib) do
  local nrows, npar = #c.fitrows, #c.keys
  -- the archs whose preset holds the fitted value (those of the rows the values are set on)
  local archs, seen = {}, {}
  for _, r in ipairs(c.fitrows) do
    if (not c.archset or c.archset[r.arch]) and not seen[r.arch] then
      seen[r.arch] = true; archs[#archs + 1] = r.arch
    end
  end
  local preset = {}
  for _, a in ipairs(archs) do
    preset[a] = {}
    for _, p in ipairs(assert(npusim.params(a))) do preset[a][p.name] = p end
  end
  local u0 = {}
  for i, k in ipairs(c.keys) do u0[i] = to_u(c.params[k], preset[archs[1]][k].value) end

  -- with fewer rows than parameters a whole curve of values fits: no fit is run (any point
  -- printed would be arbitrary), the rows are shown at the preset's values
  local unique = nrows >= npar
  local loo_ok = nrows > npar
  local ufull, rfull, Jfull = u0, nil, nil
  if unique then
    local v0 = {}
    for _, k in ipairs(c.keys) do v0[k] = preset[archs[1]][k].value end
    ufull, rfull, Jfull = fit_full(c, u0, v0)
  end
  local vfull = point(c, ufull)

  add("")
  add(string.format("### C%d. %s", c.number, c.name))
  add("")
  for _, l in ipairs(wrap(string.format("Fitted on %d row%s (%s). Ranges: %s", nrows, nrows == 1 and "" or "s",
      table.concat(c.rows, ", "), c.source), 96)) do add(l) end
  add("")
  add("| parameter | range | search | preset | full fit (all rows) |")
  add("|---|---|---|---|---|")
  local warn = {}
  for i, k in ipairs(c.keys) do
    local b = c.params[k]
    local pv = {}
    for _, a in ipairs(archs) do
      local p = preset[a][k]
      pv[#pv + 1] = string.format("%s (%s%s)", fmt(p.value), #archs > 1 and (a .. ", ") or "", p.origin)
      local diff = (p.value - vfull[k]) / vfull[k]
      if unique and math.abs(diff) > 0.02 then
        warn[#warn + 1] = string.format("**Warning:** %s's `%s` = %s differs from the full fit %s by %s.",
          a, k, fmt(p.value), fmt(vfull[k]), pct(diff))
      end
    end
    local atb = ""
    if ufull[i] <= 10 * UTOL or ufull[i] >= 1 - 10 * UTOL then atb = " (at its bound)" end
    add(string.format("| `%s` | [%s, %s] | %s | %s | %s |", k, fmt(b.lo), fmt(b.hi),
      (b.hi / b.lo > 10 and b.lo > 0) and "log" or "linear", table.concat(pv, "; "),
      unique and (fmt(vfull[k]) .. atb) or "not identifiable"))
  end
  add("")
  add("| row | family | arch | published | in-sample error | leave-one-out error | fitted without this row |")
  add("|---|---|---|---|---|---|---|")
  local absloo = {}
  for ri, r in ipairs(c.fitrows) do
    local extra = (not c.archset or c.archset[r.arch]) and vfull or nil
    local sim = simulate(r, extra)
    local ins = (sim - r.published) / r.published
    local lootxt, valtxt = "undetermined", "—"
    if loo_ok then
      local uo = fit_loo(c, ri, ufull, rfull, Jfull)
      local vo = point(c, uo)
      local so = simulate(r, extra and vo or nil)
      local e = (so - r.published) / r.published
      absloo[#absloo + 1] = math.abs(e)
      loo_errs[#loo_errs + 1] = math.abs(e)
      lootxt, valtxt = pct(e), valstr(c, vo)
    else
      n_loo_undet = n_loo_undet + 1
    end
    add(string.format("| %s | %s | %s | %s | %s | %s | %s |", r.id, r.family, r.arch, fmt(r.published),
      pct(ins), lootxt, valtxt))
  end
  add("")
  if loo_ok then
    local worst = 0
    for _, e in ipairs(absloo) do worst = math.max(worst, e) end
    add(string.format("Leave-one-out: median |error| %.1f %%, worst %.1f %%.", 100 * median(absloo), 100 * worst))
  else
    for _, l in ipairs(wrap(string.format("Leave-one-out is undetermined: %d row%s for %d parameter%s, so " ..
        "without one row the others cannot fix the parameters. %s", nrows, nrows == 1 and "" or "s", npar,
        npar == 1 and "" or "s",
        unique and "With as many parameters as rows the full fit can meet every row unless a bound " ..
        "stops it, which says nothing yet about other networks: figures of more networks are needed." or
        "Even the full fit is not unique (a whole curve of values fits the rows), so none is run: " ..
        "the in-sample column shows the rows at the preset's values, and figures of more networks " ..
        "are needed to tell the parameters apart."), 96)) do add(l) end
  end
  for _, w in ipairs(warn) do add(""); add(w); warnings = warnings + 1 end
end

---------------------------------------------------------------------------------------------
local lines = {
  "# Validation: simulated vs published",
  "",
  "Generated by `scripts/validate.sh` (scripts/validate.lua over scripts/validation/*.lua); do not",
  "edit by hand (the `validation_current` test fails when this page is not what they generate).",
  "",
  "## Summary",
  "",
  string.format("- %d of %d figures within their tolerance.", n_ok, n_all),
  string.format("- Median |error| of the %d rows no parameter was fitted on: %s.", #plain_errs,
    #plain_errs > 0 and string.format("%.1f %%", 100 * median(plain_errs)) or "—"),
  "  By family (rows, median |error|): " .. (function()
    local t = {}
    for _, fam in ipairs(plain_fams) do
      t[#t + 1] = string.format("%s %d, %.1f %%", fam, #plain_fam[fam], 100 * median(plain_fam[fam]))
    end
    return table.concat(t, "; ") .. "."
  end)(),
  string.format("- Median |leave-one-out error| of the calibrated rows: %s (%d row%s; %d more in " ..
    "entries with no more rows than parameters, where it is undetermined).",
    #loo_errs > 0 and string.format("%.1f %%", 100 * median(loo_errs)) or "—", #loo_errs,
    #loo_errs == 1 and "" or "s", n_loo_undet),
  string.format("- %d calibration warning%s (a preset value more than 2 %% from its fit).", warnings,
    warnings == 1 and "" or "s"),
  "",
  "## How to read this page",
  "",
}
for _, l in ipairs({
  "Each row runs one architecture preset on one network and compares a simulated figure with a",
  "published one: error = (simulated − published) / published. `within` says whether the error is",
  "inside the tolerance the row states (the issue's or the source's). `family` is how the figure",
  "was measured (tool, runtime, method): figures of different families may differ for reasons",
  "outside the NPU (a host decoding images in the loop, another runtime version).",
  "",
  "Most parameters of a preset come from a datasheet, a manual or the driver source. A few have",
  "no published value and are *calibrated*: chosen so that some published figures come out right.",
  "Each such choice is a calibration entry (C1, C2, … below; column `fitted in` of the table). Its",
  "parameters are fitted by minimising Σ (ln(simulated / published))² over the entry's rows, each",
  "parameter kept in a physically possible range [lo, hi] whose reason is given.",
  "",
  "- The **in-sample error** of a row is its error with the parameters fitted on all the rows,",
  "  this one included. It is small almost by construction: with as many knobs as rows, any",
  "  model, even a wrong one, can be made to hit every figure.",
  "- The **leave-one-out (LOO) error** of a row is its error when the parameters are fitted on",
  "  the *other* rows only, so this row played no part in choosing them. It is what the model",
  "  would have predicted for a network it had never seen, which is the situation of every user.",
  "  That is why it is the honest figure: a model whose mechanisms are right keeps its LOO errors",
  "  close to its in-sample ones; a model that only fits what it was tuned on shows large LOO",
  "  errors, and the column `fitted without this row` shows the parameters wandering.",
  "- With no more rows than parameters, leaving a row out leaves too few to fix the parameters:",
  "  LOO is then *undetermined*, and the entry needs figures of more networks before it can be",
  "  trusted beyond the rows it was fitted on.",
  "",
  "The table runs every preset as it is. The value in each preset should be its entry's full fit",
  "(rounded); a warning below an entry says when they differ by more than 2 %. Rows in no entry",
  "are plain checks: nothing was fitted on them.",
  "",
  "To add a figure, add a row to the data file of its model: a unique `id`, the measurement",
  "`family`, `arch`, `graph` (and `args`, `set`), `metric` (`fps`, `ms`, `us`, `cycles`, any",
  "numeric total such as `npu_power_mw` or `area_mm2`, or `layer` for one layer's cycles; with",
  "`base`, minus another layer's: a profiler whose layers all carry one fixed overhead),",
  "`published`, `tol` and `source`. A calibration entry is `{ name,",
  "params = { key = { lo =, hi = } }, archs (optional), rows = { ids }, source }` in the same",
  "file's `calibration` list; only real-valued parameters can be fitted. The fit (documented in",
  "scripts/validate.lua) works on a log scale when hi/lo > 10 and uses Levenberg-Marquardt",
  "steps with a global search when the preset is far off. Leave-one-out fits are linearised",
  "around the full fit and refitted on simulations where a parameter moves more than 5 % of its",
  "range. Then run `scripts/validate.sh` and commit this page with the change.",
  "",
  "## All figures",
  "",
}) do lines[#lines + 1] = l end
for _, l in ipairs(table_lines) do lines[#lines + 1] = l end
lines[#lines + 1] = ""
lines[#lines + 1] = "Data files: " .. table.concat(files, ", ") .. "."
lines[#lines + 1] = ""
lines[#lines + 1] = "## Calibration entries"
for _, l in ipairs(calib_lines) do lines[#lines + 1] = l end
lines[#lines + 1] = ""

local f = assert(io.open(out, "w"))
f:write(table.concat(lines, "\n"))
f:close()
print(string.format("validate: %d of %d within tolerance, %d calibration entr%s, %d simulations -> %s",
  n_ok, n_all, #calib, #calib == 1 and "y" or "ies", n_sims, out))
