#!/bin/sh
# speed_table.sh — the table of issue 20: ms of CPU per design point for every built-in preset
# × ResNet-50, MobileNetV2, YOLOv5s, a Qwen2-0.5B prefill of 128 tokens and a decode step after
# 1,024 tokens, measured with tests/bench/run_bench (graph loaded once, one npu_run per point,
# CPU time; docs/speed.md "Measuring"), printed as a markdown table. docs/speed.md's current
# figures are this script's output (-u), not typed by hand.
#
#   scripts/speed_table.sh [-r REPS] [-p "PRESET ..."] [-u FILE]
#     -r REPS   repeats per cell (default 3): the median is the figure, the least is kept for -l
#     -l        print the least of the repeats instead of the median (the run least disturbed
#               by other processes)
#     -p LIST   only these presets (default: every preset of `npusim list presets`)
#     -u FILE   also write the table into FILE between the lines
#               <!-- speed_table:begin --> and <!-- speed_table:end --> (both must exist)
#
# The binaries are $RUN_BENCH and $NPUSIM, else build-rel/ (Release, what the figures in
# docs/speed.md use) and then build/. Each cell first runs one point to size the repeats: ITERS
# points per repeat so that a repeat takes about 0.1 s (1 to 50 points). A cell that cannot
# run prints "—" and its error on stderr. The whole table takes a few minutes of CPU: on a
# shared machine run it once, under `nice`, and read the load average it prints.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
reps=3
least=0
presets=
update=
while [ $# -gt 0 ]; do
    case $1 in
    -r) [ $# -ge 2 ] || { echo "speed_table.sh: -r needs a number" >&2; exit 2; }
        reps=$2
        shift 2 ;;
    -l) least=1; shift ;;
    -p) [ $# -ge 2 ] || { echo "speed_table.sh: -p needs a preset list" >&2; exit 2; }
        presets=$2
        shift 2 ;;
    -u) [ $# -ge 2 ] || { echo "speed_table.sh: -u needs a file" >&2; exit 2; }
        update=$2
        shift 2 ;;
    *) echo "usage: scripts/speed_table.sh [-r REPS] [-l] [-p \"PRESET ...\"] [-u FILE]" >&2
       exit 2 ;;
    esac
done
die() {
    echo "speed_table.sh: $*" >&2
    exit 2
}
case $reps in '' | *[!0-9]*) die "-r wants a number from 1 to 99" ;; esac
[ "$reps" -ge 1 ] && [ "$reps" -le 99 ] || die "-r wants a number from 1 to 99"
for d in build-rel build; do
    [ -z "${RUN_BENCH:-}" ] && [ -x "$here/$d/tests/run_bench" ] &&
        RUN_BENCH=$here/$d/tests/run_bench
    [ -z "${NPUSIM:-}" ] && [ -x "$here/$d/npusim" ] && NPUSIM=$here/$d/npusim
done
[ -x "${RUN_BENCH:-}" ] || die "no run_bench (build first or set RUN_BENCH)"
[ -x "${NPUSIM:-}" ] || die "no npusim (build first or set NPUSIM)"
if [ -n "$update" ]; then
    grep -q '^<!-- speed_table:begin -->$' "$update" &&
        grep -q '^<!-- speed_table:end -->$' "$update" ||
        die "$update lacks the speed_table:begin/end marker lines"
fi
[ -n "$presets" ] || presets=$("$NPUSIM" list presets) || die "npusim list presets failed"
NETS="resnet50 mobilenet_v2 yolov5s qwen2_0_5b_prefill:tokens=128 qwen2_0_5b_decode:kv=1024"

loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }

# ms with three significant figures, as the issue's table prints them
fmt() {
    awk -v v="$1" 'BEGIN { if (v >= 100) printf "%.0f", v; else if (v >= 10) printf "%.1f", v
                           else if (v >= 1) printf "%.2f", v; else printf "%.3f", v }'
}

# cell PRESET NET: the figure, or "—"
cell() {
    one=$("$RUN_BENCH" "$1" "$2" 1 1 2>&1) ||
        { echo "speed_table.sh: $1 $2: $one" >&2; echo "—"; return; }
    ms=$(echo "$one" | sed -n 's/.* \([0-9.]*\) ms per design point.*/\1/p')
    iters=$(awk -v ms="$ms" 'BEGIN { n = ms > 0 ? int(100 / ms) : 50
                                     print n < 1 ? 1 : (n > 50 ? 50 : n) }')
    out=$("$RUN_BENCH" "$1" "$2" "$iters" "$reps" 2>&1) ||
        { echo "speed_table.sh: $1 $2: $out" >&2; echo "—"; return; }
    if [ "$least" = 1 ] && [ "$reps" -gt 1 ]; then
        v=$(echo "$out" | sed -n 's/.*(least \([0-9.]*\)).*/\1/p')
    else
        v=$(echo "$out" | sed -n 's/.* \([0-9.]*\) ms per design point.*/\1/p')
    fi
    [ -n "$v" ] && fmt "$v" || echo "—"
}

tmp=$(mktemp) || exit 2
trap 'rm -f "$tmp"' EXIT
load0=$(loadavg)
{
    echo "| preset | ResNet-50 | MobileNetV2 | YOLOv5s | prefill 128 tok | decode kv=1024 |"
    echo "|---|---:|---:|---:|---:|---:|"
    for p in $presets; do
        # a card preset (atlas300i) runs one result per point only as one of its chips, which
        # is the chip's own preset's row (npu_run refuses the card: docs/workloads.md)
        "$NPUSIM" params "$p" 2>/dev/null | grep -q '^card\.spread ' && continue
        row="| $p |"
        for n in $NETS; do
            row="$row $(cell "$p" "$n") |"
        done
        echo "$row"
    done
} >"$tmp"
rev=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)
{
    what=median
    [ "$least" = 1 ] && what=least
    echo "ms of CPU per design point, $what of $reps repeats (\`scripts/speed_table.sh\`,"
    echo "$(basename "$(dirname "$(dirname "$RUN_BENCH")")")/tests/run_bench, commit $rev,"
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $load0 before and $(loadavg) after)."
    echo
    cat "$tmp"
} >"$tmp.out"
mv "$tmp.out" "$tmp"
cat "$tmp"
if [ -n "$update" ]; then
    awk -v tab="$tmp" '
        /^<!-- speed_table:begin -->$/ {
            print
            while ((getline l < tab) > 0)
                print l
            skip = 1
            next
        }
        /^<!-- speed_table:end -->$/ { skip = 0 }
        !skip { print }' "$update" >"$update.tmp" && mv "$update.tmp" "$update" ||
        { echo "speed_table.sh: could not update $update" >&2; exit 1; }
fi
