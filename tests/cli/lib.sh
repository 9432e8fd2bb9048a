# lib.sh — the helpers of the shell tests of `npusim` (sourced by cli_test.sh, hostile_test.sh
# and tests/onnx/onnx_written.sh; $NPUSIM = the binary). Makes a temporary directory $T (removed
# on exit) and prints "ok"/"FAIL" per check; the caller ends with `finish`.
set -u

: "${NPUSIM:?NPUSIM must point at the npusim binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/npusim_cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && printf '  %s\n' "$2"; return 0; }

# run CMD...: runs npusim, keeps stdout in $T/out, stderr in $T/err, status in $rc. With
# TO set (e.g. "timeout 60") the command is bounded by it.
TO=${TO:-}
run() {
    $TO "$NPUSIM" "$@" >"$T/out" 2>"$T/err"
    rc=$?
}

# status NAME STATUS : the last command's exit status $rc must be STATUS (stderr in $T/err)
status() {
    if [ "$rc" -eq "$2" ]; then
        ok "$1"
    else
        bad "$1" "exit $rc, expected $2; stderr: $(head -c 400 "$T/err")"
    fi
}

# expect NAME STATUS CMD... : runs npusim CMD..., whose exit status must be STATUS
expect() {
    name=$1
    want=$2
    shift 2
    run "$@"
    status "$name" "$want"
}

# has NAME FILE TEXT : FILE contains TEXT (fixed string)
has() {
    if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1" "'$3' not in: $(head -c 400 "$2")"; fi
}

finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
