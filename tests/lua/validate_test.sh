#!/bin/sh
# scripts/validate.lua on small fixtures: the fit and leave-one-out against closed-form answers,
# both file forms, and one clear error (naming the file) for each kind of bad data.
#   validate_test.sh NPUSIM TMPDIR       (run from the source tree)
set -u
bin=$1; dir=$2
rm -rf "$dir" && mkdir -p "$dir" || exit 1
fail=0
check() { # check NAME FILE PATTERN: the fixed string PATTERN is in FILE
  if grep -qF -- "$3" "$2"; then echo "ok   $1"; else echo "FAIL $1: '$3' not in $2"; cat "$2"; fail=1; fi
}

# Known answer. The systolic model in SCALE-Sim mode gives a fixed cycle count, so time_us =
# cycles / freq_mhz exactly. Rows os/ws are published as if at 700 MHz, row is at 770 MHz.
# Fitting freq_mhz minimises sum ln^2(f_i / f): f = exp(mean ln f_i) = 700^(2/3) 770^(1/3)
# = 722.6; in-sample error of `is` 770/722.6 - 1 = +6.6 %, of os -3.1 %. Leave-one-out: without
# `is` the others give 700, so `is` is off by 770/700 - 1 = +10.0 %; without os, sqrt(700*770)
# = 734.2 and os is off by 700/734.2 - 1 = -4.7 %. The model's default 1000 MHz is +38.4 % off.
cat > "$dir/fit.lua" <<'LUA'
local function ss(flow) return { fidelity = "scalesim", dataflow = flow, rows = 32, cols = 32 } end
local gemm = "scripts/validation/gemm_m256_n128_k256.csv"
return {
  rows = {
    { id = "t.os", family = "fixture", arch = "systolic", set = ss("os"), graph = gemm, metric = "us",
      published = 10175 / 700, tol = 0.01, source = "t" },
    { id = "t.ws", family = "fixture", arch = "systolic", set = ss("ws"), graph = gemm, metric = "us",
      published = 11199 / 700, tol = 0.01, source = "t" },
    { id = "t.is", family = "fixture", arch = "systolic", set = ss("is"), graph = gemm, metric = "us",
      published = 14207 / 770, tol = 0.01, source = "t" },
    { id = "t.plain", family = "fixture", arch = "systolic", set = ss("os"), graph = gemm,
      layer = "Gemm1", published = 10175, tol = 0, source = "t" },
  },
  calibration = {
    { name = "clock", params = { freq_mhz = { lo = 100, hi = 5000 } },
      rows = { "t.os", "t.ws", "t.is" }, source = "fixture" },
  },
}
LUA
# the plain-list form stays valid
cat > "$dir/plain.lua" <<'LUA'
return { { id = "p.one", family = "fixture", arch = "systolic", graph = "scripts/validation/gemm_m256_n128_k256.csv",
           set = { fidelity = "scalesim", dataflow = "ws", rows = 32, cols = 32 }, layer = "Gemm1",
           published = 11199, tol = 0, source = "t" } }
LUA
if "$bin" script scripts/validate.lua "$dir/out.md" "$dir/fit.lua" "$dir/plain.lua" > "$dir/log" 2>&1; then
  out=$dir/out.md
  check "full fit" "$out" '| `freq_mhz` | [100, 5000] | log | 1000 (default) | 722.6 |'
  check "in-sample and LOO of is" "$out" '| t.is | fixture | systolic | 18.45 | +6.6 % | +10.0 % | freq_mhz = 700 |'
  check "in-sample and LOO of os" "$out" '| t.os | fixture | systolic | 14.54 | -3.1 % | -4.7 % | freq_mhz = 734.2 |'
  check "median and worst" "$out" 'Leave-one-out: median |error| 4.7 %, worst 10.0 %.'
  check "preset warning" "$out" "**Warning:** systolic's \`freq_mhz\` = 1000 differs from the full fit 722.6 by +38.4 %."
  check "plain rows" "$out" '- Median |error| of the 2 rows no parameter was fitted on: 0.0 %.'
  check "summary LOO" "$out" '- Median |leave-one-out error| of the calibrated rows: 4.7 % (3 rows; 0 more'
  check "fitted-in column" "$out" '| t.is | fixture | systolic | '
  check "family column, plain file" "$out" '| p.one | fixture | systolic |'
else
  echo "FAIL validate on fixtures"; cat "$dir/log"; fail=1
fi

# undetermined leave-one-out: two parameters, two rows
cat > "$dir/two.lua" <<'LUA'
return { rows = {
    { id = "u.a", family = "f", arch = "systolic", graph = "scripts/validation/gemm_m256_n128_k256.csv",
      set = { fidelity = "scalesim", dataflow = "os" }, metric = "us", published = 20, source = "t" },
    { id = "u.b", family = "f", arch = "systolic", graph = "scripts/validation/gemm_m256_n128_k256.csv",
      set = { fidelity = "scalesim", dataflow = "ws" }, metric = "us", published = 20, source = "t" } },
  calibration = { { name = "two", params = { freq_mhz = { lo = 100, hi = 5000 }, ["dram.gbps"] = { lo = 1, hi = 8 } },
    rows = { "u.a", "u.b" }, source = "t" } } }
LUA
if "$bin" script scripts/validate.lua "$dir/two.md" "$dir/two.lua" > "$dir/log" 2>&1; then
  check "LOO undetermined" "$dir/two.md" '| u.a | f | systolic | 20 |'
  check "LOO undetermined says so" "$dir/two.md" 'Leave-one-out is undetermined: 2 rows for 2 parameters'
else
  echo "FAIL validate on two.lua"; cat "$dir/log"; fail=1
fi

# bad data: one error naming the file and what is wrong, no report written
bad() { # bad NAME EXPECTED LUA-SOURCE
  printf '%s\n' "$3" > "$dir/bad.lua"
  rm -f "$dir/bad.md"
  if "$bin" script scripts/validate.lua "$dir/bad.md" "$dir/fit.lua" "$dir/bad.lua" > "$dir/log" 2>&1; then
    echo "FAIL $1: accepted"; fail=1
  elif [ -e "$dir/bad.md" ]; then
    echo "FAIL $1: wrote a report"; fail=1
  else
    check "$1" "$dir/log" "$2"
  fi
}
row='family = "f", arch = "systolic", graph = "resnet50", metric = "fps", published = 1'
bad "duplicate id" "bad.lua: row 1 't.os': duplicate id (also row 1 of $dir/fit.lua)" "return { { id = \"t.os\", $row } }"
bad "missing id" "bad.lua: row 1: needs an id" "return { { $row } }"
bad "missing family" "bad.lua: row 1 'x': needs a family" 'return { { id = "x", arch = "systolic", graph = "g", published = 1 } }'
bad "unknown file key" "bad.lua: file: unknown key 'calibrations'" 'return { rows = {}, calibrations = {} }'
bad "unknown row in entry" "bad.lua: calibration 1 'c': no row with id 't.nope'" \
  'return { calibration = { { name = "c", params = { freq_mhz = { lo = 1, hi = 2 } }, rows = { "t.nope" }, source = "s" } } }'
bad "unknown parameter" "bad.lua: calibration 1 'c': 'freq' is not a parameter of systolic" \
  'return { calibration = { { name = "c", params = { freq = { lo = 1, hi = 2 } }, rows = { "t.os" }, source = "s" } } }'
bad "range outside the parameter's" "bad.lua: calibration 1 'c': 'freq_mhz' range [0.5, 2] leaves the parameter's [1, 10000]" \
  'return { calibration = { { name = "c", params = { freq_mhz = { lo = 0.5, hi = 2 } }, rows = { "t.os" }, source = "s" } } }'
bad "lo >= hi" "bad.lua: calibration 1 'c': parameter 'freq_mhz' needs numbers lo < hi" \
  'return { calibration = { { name = "c", params = { freq_mhz = { lo = 2, hi = 2 } }, rows = { "t.os" }, source = "s" } } }'
bad "row sets the fitted parameter" "bad.lua: calibration 1 'c': row 'b.x' sets 'dram.gbps' itself" \
  'return { rows = { { id = "b.x", family = "f", arch = "systolic", graph = "g", published = 1, set = { ["dram.gbps"] = 3 } } },
    calibration = { { name = "c", params = { ["dram.gbps"] = { lo = 1, hi = 8 } }, rows = { "b.x" }, source = "s" } } }'
bad "integer parameter" "bad.lua: calibration 1 'c': 'vector_lanes' is not a real-valued parameter of systolic" \
  'return { calibration = { { name = "c", params = { vector_lanes = { lo = 8, hi = 64 } }, rows = { "t.plain" }, source = "s" } } }'
bad "fitted twice" "bad.lua: calibration 1 'c': 'freq_mhz' on systolic is already fitted by 'clock'" \
  'return { calibration = { { name = "c", params = { freq_mhz = { lo = 100, hi = 200 } }, rows = { "t.plain" }, source = "s" } } }'
bad "no source" "bad.lua: calibration 1 'c': needs a source" \
  'return { calibration = { { name = "c", params = { freq_mhz = { lo = 100, hi = 200 } }, rows = { "t.plain" } } } }'
exit $fail
