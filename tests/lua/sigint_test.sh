#!/bin/sh
# sigint_test.sh — Ctrl-C during a sweep under `npusim script` (issue 16, docs/cli.md "script"):
#   one SIGINT: the sweep stops after the point in flight, returns the finished rows and
#               "interrupted", the script goes on (writes them out) and the command exits 1;
#   two SIGINTs: the second ends the process at once (killed by SIGINT, status 130), without
#               waiting for the point in flight.
# The sweep asks for progress on stderr (progress = true), so the test knows when the first
# point is done and the second one is being simulated; a point takes about 2-4 s (an LLM of
# 2048 tokens on ascend910; 10 s under ASan), far longer than the 0.5 s between the two
# signals, even when a loaded CI machine stretches that gap (1024 tokens, ~1 s, was not always
# enough). The gap is not shorter because two SIGINTs that arrive before the process is
# scheduled are one pending signal (a loaded CI run merged two sent 0.05 s apart: exit 1).
. tests/cli/lib.sh

cat >"$T/sweep.lua" <<'LUA'
local g = assert(npusim.graph("qwen2_0_5b_prefill", { args = { tokens = 2048 } }))
local gbps = {}
for i = 1, 50 do gbps[i] = 10 + i end
local rows, status = npusim.sweep{ arch = "ascend910", graph = g, vary = { ["dram.gbps"] = gbps },
                                   threads = 1, progress = true }
print("after sweep", #rows, status)
LUA

# start SIGNALS...: runs the script in the background, waits for the first finished point,
# sends the signals 0.5 s apart, and leaves the exit status in $rc.
start() {
    "$NPUSIM" script "$T/sweep.lua" >"$T/out" 2>"$T/err" &
    pid=$!
    i=0
    while ! grep -q "sweep: 1/" "$T/err" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 3000 ] || ! kill -0 $pid 2>/dev/null; then
            break
        fi
        sleep 0.02
    done
    # the progress line is printed as point 1 ends, before the worker takes point 2: a signal
    # in between stops the sweep with no point in flight, and the process may end before the
    # second signal (seen under load: exit 1 instead of 130). Point 2 is in flight 0.3 s later.
    sleep 0.3
    for s in "$@"; do
        kill -INT $pid 2>/dev/null
        sleep 0.5
    done
    wait $pid
    rc=$?
}

start 1
status "one Ctrl-C: the sweep stops, the script goes on, exit 1" 1
if grep -qE '^after sweep	[0-9]+	interrupted$' "$T/out" && ! grep -q "after sweep	50" "$T/out"; then
    ok "one Ctrl-C: sweep returns the finished rows and \"interrupted\""
else
    bad "one Ctrl-C: sweep returns the finished rows and \"interrupted\"" "$(cat "$T/out" "$T/err")"
fi

start 1 2
status "two Ctrl-C: the second ends the process at once (SIGINT)" 130
if grep -q "after sweep" "$T/out"; then
    bad "two Ctrl-C: the point in flight was not waited for" "$(cat "$T/out")"
else
    ok "two Ctrl-C: the point in flight was not waited for"
fi
finish
