#!/bin/sh
# hostile_test.sh — issue 16: careless and hostile input to the `npusim` command. Every case is a
# reproducer from the audit: it must end in one clear error (or a correct result), never a
# crash, a hang, unbounded growth or a replaced file. Uses only files in a temporary directory
# (a FIFO and symlinks made there; never real device nodes). Same output as cli_test.sh.
set -u

: "${NPUSIM:?NPUSIM must point at the npusim binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/npusim_hostile.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && printf '  %s\n' "$2"; return 0; }
run() {
    "$NPUSIM" "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
}
expect() { # NAME STATUS CMD...
    name=$1
    want=$2
    shift 2
    run "$@"
    if [ "$rc" -eq "$want" ]; then
        ok "$name"
    else
        bad "$name" "exit $rc, expected $want; stderr: $(head -c 400 "$T/err")"
    fi
}
has() { # NAME FILE TEXT
    if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1" "'$3' not in: $(head -c 400 "$2")"; fi
}
lines() { # NAME FILE N: FILE has exactly N lines
    n=$(wc -l <"$2")
    if [ "$n" -eq "$3" ]; then ok "$1"; else bad "$1" "$n lines: $(head -c 400 "$2")"; fi
}

cat >"$T/tiny.npg" <<'EOT'
npg 1
input  data  1x8x16x16 int8
conv   c1    data  out=16 k=3 s=1 p=1 act=relu
output c1
EOT

# ---- crashes ------------------------------------------------------------------------------------
printf 'npg 1\ninput d 1x4 fp32\nmatmul m d src=X\n' >"$T/m.npg"
expect "matmul src= with one input -> 1" 1 info "$T/m.npg"
has "matmul src= names the input count" "$T/err" "takes 2 inputs, got 1"
printf 'npg 1\ninput d 1x4 fp32\ngather m d src=X\n' >"$T/g.npg"
expect "gather src= with one input -> 1" 1 info "$T/g.npg"
printf 'npg 1\ninput d 1x4 fp32\nsigmoid s d src=Custom\n' >"$T/s.npg"
expect "src= on a unary op still reads" 0 info "$T/s.npg"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
