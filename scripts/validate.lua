-- validate.lua — generates docs/validation.md: every published figure we have, simulated.
--
--   npusim script scripts/validate.lua OUT.md DATA.lua...
--   (scripts/validate.sh passes docs/validation.md and scripts/validation/*.lua)
--
-- Each DATA file returns either a plain list of rows or { rows = {...}, calibration = {...} }
-- (the format is fixed in docs/validation.md's preamble; see also docs/params.md). A row:
--   { id = "rk3588.resnet50", family = "rknn_model_zoo v2.3.2",
--     arch = "rk3588", graph = "resnet50", set = { cores = 1 }, args = "tokens=128",
--     metric = "fps" | "ms" | "us" | "cycles", layer = "Conv1" (optional: that layer's cycles),
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
for _, c in ipairs(calib) do
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
local function graph(name, args)
  local key = name .. "|" .. (args or "")
  if not graphs[key] then
    graphs[key] = assert(npusim.graph(name, args and { args = args } or nil))
  end
  return graphs[key]
end

local function simulate(r)
  local res, msg = npusim.run { arch = r.arch, graph = graph(r.graph, r.args), set = r.set }
  if not res then return nil, msg end
  local t = res.total
  if r.layer then
    for _, l in ipairs(res.layers) do
      if l.name == r.layer then return l.cycles end
    end
    return nil, "no layer " .. r.layer
  end
  if r.metric == "fps" then return t.fps end
  if r.metric == "ms" then return t.time_us / 1000 end
  if r.metric == "us" then return t.time_us end
  if r.metric == "cycles" then return t.cycles end
  return nil, "unknown metric " .. tostring(r.metric)
end

local function fmt(v)
  if math.type(v) == "integer" then return string.format("%d", v) end
  if v >= 1000 then return string.format("%.0f", v) end
  return string.format("%.4g", v)
end

local function setstr(s)
  if not s then return "" end
  local keys = {}
  for k in pairs(s) do keys[#keys + 1] = k end
  table.sort(keys)
  for i, k in ipairs(keys) do keys[i] = k .. "=" .. tostring(s[k]) end
  return table.concat(keys, " ")
end

local lines = {
  "# Validation: simulated vs published",
  "",
  "Generated by `scripts/validate.sh` (scripts/validate.lua over scripts/validation/*.lua); do not",
  "edit by hand. Each row runs one architecture preset on one network and compares a simulated",
  "figure with a published one. Error = (simulated − published) / published. `within` says",
  "whether the error is inside the tolerance the row states (the issue's or the source's).",
  "The models are tuned through mechanisms and documented parameters only, never per network.",
  "",
  "| id | family | arch | settings | network | metric | simulated | published | error | tol | within | source |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|",
}
local n_ok, n_all = 0, 0
for _, r in ipairs(rows) do
  local sim, msg = simulate(r)
  local metric = r.layer and ("cycles of " .. r.layer) or r.metric
  local simtxt, errtxt, within = "failed: " .. tostring(msg), "", "no"
  if sim then
    local e = (sim - r.published) / r.published
    simtxt = fmt(sim)
    errtxt = string.format("%+.1f%%", 100 * e)
    within = math.abs(e) <= (r.tol or 0) + 1e-12 and "yes" or "no"
  end
  n_all = n_all + 1
  if within == "yes" then n_ok = n_ok + 1 end
  lines[#lines + 1] = string.format("| %s | %s | %s | %s | %s%s | %s | %s | %s | %s | %s | %s | %s |",
    r.id, r.family, r.arch, setstr(r.set), r.graph, r.args and (" (" .. r.args .. ")") or "", metric, simtxt,
    fmt(r.published), errtxt, r.tol and string.format("%g%%", 100 * r.tol) or "-", within,
    (r.source or "") .. (r.note and (" — " .. r.note) or ""))
end
lines[#lines + 1] = ""
lines[#lines + 1] = string.format("%d of %d figures within their tolerance. Data files: %s.",
  n_ok, n_all, table.concat(files, ", "))
lines[#lines + 1] = ""
local f = assert(io.open(out, "w"))
f:write(table.concat(lines, "\n"))
f:close()
print(string.format("validate: %d of %d within tolerance -> %s", n_ok, n_all, out))
