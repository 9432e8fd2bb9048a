#!/usr/bin/env bash
# fuzz_coverage.sh — which source lines the corpora of the eight fuzz targets reach, per file,
# outside CI (docs/fuzzing.md, "Coverage per file").
#
#   bash scripts/fuzz_coverage.sh [DIR] [OUT]
#
# DIR (default $HOME/npusim-fuzz, never inside the repository) is the directory of
# scripts/fuzz_campaign.sh: each target replays its campaign corpus DIR/TARGET/corpus (read only;
# a target without one replays its seeds alone) plus the inputs ctest replays (tests/fuzz/corpus/
# TARGET, tests/fuzz/crashes/TARGET, models/presets for params, scripts/zoo for lua). The targets
# and the CLI are built in build-cov/ with clang's source-based coverage (-fprofile-instr-generate
# -fcoverage-mapping, no sanitizer, tests/fuzz/replay.c as main(): one run per input). The CLI
# is in the report with no run of its own, so that code no target links still counts, at 0 %.
#
# It writes (to OUT, or stdout) a markdown table: one row per source file of sim/, models/ and
# isa/ (headers with code included), a subtotal row per folder and a total, with the line and
# region coverage of each target's corpus ("L / R", percent) and of all of them together.
# Needs clang, llvm-profdata and llvm-cov (Debian: apt-get install clang llvm).
set -euo pipefail
here=$(pwd) # DIR and OUT are relative to where it is called from
cd "$(dirname "$0")/.."
repo=$(pwd -P)
[ $# -le 2 ] || {
    echo "usage: fuzz_coverage.sh [DIR] [OUT]" >&2
    exit 2
}
dir=${1:-$HOME/npusim-fuzz}
out=${2:-/dev/stdout}
[[ $dir == /* ]] || dir=$here/$dir
[[ $out == /* ]] || out=$here/$out
[ -d "$dir" ] || {
    echo "fuzz_coverage: DIR $dir is not a directory (the DIR of fuzz_campaign.sh)" >&2
    exit 2
}
dir=$(cd "$dir" && pwd -P)
case "$dir/" in
"$repo"/*)
    echo "fuzz_coverage: DIR $dir is inside the repository (campaign corpora live outside it)" >&2
    exit 2
    ;;
esac
for tool in clang llvm-profdata llvm-cov; do
    command -v "$tool" >/dev/null || {
        echo "fuzz_coverage: $tool not found (Debian: apt-get install clang llvm)" >&2
        exit 2
    }
done
targets=(onnx npg scalesim npuc params lua run luaapi)
b=build-cov
if [ ! -f $b/CMakeCache.txt ]; then
    cmake -S . -B $b -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang \
        -DCMAKE_C_FLAGS="-fprofile-instr-generate -fcoverage-mapping" \
        -DCMAKE_EXE_LINKER_FLAGS=-fprofile-instr-generate >/dev/null
fi
nice -n 19 cmake --build $b -j2 --target npusim "${targets[@]/%/_fuzz}" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objects=(-object "$b/npusim")
notes=
for t in "${targets[@]}"; do
    ins=("tests/fuzz/corpus/$t")
    [ -d "$dir/$t/corpus" ] && ins+=("$dir/$t/corpus")
    [ -d "tests/fuzz/crashes/$t" ] && ins+=("tests/fuzz/crashes/$t")
    [ "$t" = params ] && ins+=(models/presets)
    [ "$t" = lua ] && ins+=(scripts/zoo)
    if ! LLVM_PROFILE_FILE=$tmp/$t.profraw nice -n 19 "$b/tests/${t}_fuzz" "${ins[@]}" \
        >"$tmp/$t.log" 2>&1; then
        echo "fuzz_coverage: the replay of $t failed (a finding?):" >&2
        tail -5 "$tmp/$t.log" >&2
        exit 1
    fi
    n=$(sed -n 's/^replay: \([0-9]*\) inputs.*/\1/p' "$tmp/$t.log")
    [ -d "$dir/$t/corpus" ] || n="$n, no campaign corpus"
    notes="$notes $t $n;"
    llvm-profdata merge -sparse -o "$tmp/$t.profdata" "$tmp/$t.profraw"
    objects+=(-object "$b/tests/${t}_fuzz")
done
llvm-profdata merge -sparse -o "$tmp/all.profdata" "$tmp"/*.profraw
# One line per (profile, file): profile file regions missed-regions lines missed-lines. llvm-cov
# warns of "mismatched data": main() and LLVMFuzzerTestOneInput, one name in several binaries
# (so the CLI's main() is left out of sim/cli/main.c).
for p in "${targets[@]}" all; do
    llvm-cov report -instr-profile "$tmp/$p.profdata" "${objects[@]}" >"$tmp/report" \
        2>"$tmp/err" || {
        echo "fuzz_coverage: llvm-cov report failed:" >&2
        cat "$tmp/err" >&2
        exit 1
    }
    awk -v p="$p" -v r="${repo#/}/" 'index($1, r) == 1 && $2 + $8 > 0 {
        f = substr($1, length(r) + 1)
        if (f ~ /^(sim|models|isa)\//) print p, f, $2, $3, $8, $9 }' "$tmp/report"
done >"$tmp/rows"
# Source files no binary links (none today) get a row of their own, with – for every figure
find sim models isa -name '*.c' | while read -r f; do
    grep -q " $f " "$tmp/rows" || echo "all $f 0 0 0 0"
done >"$tmp/unlinked"
{
    echo "Line / region coverage in % (\`scripts/fuzz_coverage.sh\`; inputs per target:${notes%;})."
    echo
    # by folder (a folder's files together, its subtotal first), then by file
    awk '{ d = $2; sub(/\/[^\/]*$/, "", d); print d, $0 }' "$tmp/rows" "$tmp/unlinked" |
        LC_ALL=C sort -s -k1,1 -k3,3 | awk -v targets="${targets[*]} all" '
        function pct(c, n) {
            return n == 0 ? "–" : (c > 0 && c < n / 100) ? "<1" : int(100 * c / n) }
        function row(name, k,   i) {
            printf "| %s | %d |", name, LN[k]
            for (i = 1; i <= nt; i++)
                printf " %s / %s |", pct(L[k, t[i]], LN[k]), pct(R[k, t[i]], RN[k])
            print "" }
        BEGIN {
            nt = split(targets, t)
            printf "| file | lines |"; for (i = 1; i <= nt; i++) printf " %s |", t[i]; print ""
            printf "|---|--:|"; for (i = 1; i <= nt; i++) printf "--:|"; print ""
        }
        {   # d p f regions missed-regions lines missed-lines
            d = $1; p = $2; f = $3
            if (!(f in seen)) { seen[f] = 1; files[++nf] = f; dirof[f] = d
                                LN[f] = $6; RN[f] = $4; LN[d] += $6; RN[d] += $4
                                LN[""] += $6; RN[""] += $4 }
            for (k = 1; k <= 3; k++) {
                key = k == 1 ? f : k == 2 ? d : ""
                L[key, p] += $6 - $7; R[key, p] += $4 - $5 }
        }
        END {
            for (i = 1; i <= nf; i++) {
                if (dirof[files[i]] != cur) { cur = dirof[files[i]]; row("**" cur "/**", cur) }
                row(files[i], files[i])
            }
            row("**total**", "")
        }'
} >"$out"
