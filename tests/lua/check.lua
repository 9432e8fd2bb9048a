-- check.lua — the assertions of the Lua tests (loaded with dofile from the repo root).
-- Mirrors tests/test.h: every failure prints file:line, T.report() prints "N passed, N failed"
-- and raises an error when something failed, so the test driver exits non-zero.
local T = { passed = 0, failed = 0 }

local function where()
  local info = debug and debug.getinfo and debug.getinfo(3, "Sl")
  if info then return info.short_src .. ":" .. info.currentline end
  -- no debug library in the sandbox: take the position from an error message
  local _, msg = pcall(error, "", 4)
  return (msg:gsub(": $", ""))
end

local function result(ok, msg)
  if ok then
    T.passed = T.passed + 1
  else
    T.failed = T.failed + 1
    print("FAIL " .. where() .. ": " .. msg)
  end
  return ok
end

function T.ok(c, what) return result(c and true or false, what or "check failed") end

function T.eq(a, b, what)
  return result(a == b and math.type(a) == math.type(b),
    string.format("%s: %s (%s) ~= %s (%s)", what or "eq", tostring(a), math.type(a) or type(a),
      tostring(b), math.type(b) or type(b)))
end

function T.near(a, b, tol, what)
  return result(type(a) == "number" and math.abs(a - b) <= tol,
    string.format("%s: %s not within %g of %s", what or "near", tostring(a), tol, tostring(b)))
end

-- the call must raise an error whose message contains `pattern` (plain text)
function T.raises(pattern, f, ...)
  local ok, err = pcall(f, ...)
  if ok then return result(false, "expected an error containing '" .. pattern .. "'") end
  return result(tostring(err):find(pattern, 1, true) ~= nil,
    "error '" .. tostring(err) .. "' does not contain '" .. pattern .. "'")
end

-- the call must return nil, message with message containing `pattern`
function T.fails(pattern, v, msg)
  if v ~= nil then return result(false, "expected nil, message; got " .. tostring(v)) end
  return result(type(msg) == "string" and msg:find(pattern, 1, true) ~= nil,
    "message '" .. tostring(msg) .. "' does not contain '" .. pattern .. "'")
end

function T.report()
  print(string.format("%d passed, %d failed", T.passed, T.failed))
  if T.failed > 0 then error(T.failed .. " check(s) failed", 0) end
end

return T
