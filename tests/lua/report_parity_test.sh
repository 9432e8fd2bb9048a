#!/bin/sh
# report_parity_test.sh — the CLI and the Lua API write the same bytes for the same run (issue
# 15): tests/lua/report_parity.lua writes every case through the Lua API and lists the npusim
# arguments of each; here the CLI runs them and each pair is compared with cmp.
. tests/cli/lib.sh

mkdir "$T/lua" || exit 1
if ! "$NPUSIM" script tests/lua/report_parity.lua "$T/lua" >"$T/cases" 2>"$T/err"; then
    bad "report_parity.lua runs" "$(head -c 600 "$T/err")"
    finish
    exit 1
fi
n=$(wc -l <"$T/cases")
[ "$n" -ge 40 ] && ok "$n cases listed" || bad "cases listed" "only $n"
tab=$(printf '\t')
while IFS="$tab" read -r name args; do
    # shellcheck disable=SC2086 # the arguments are words
    if ! "$NPUSIM" $args >"$T/cli" 2>"$T/err"; then
        bad "$name: npusim $args" "$(head -c 400 "$T/err")"
    elif cmp -s "$T/cli" "$T/lua/$name"; then
        ok "$name"
    else
        bad "$name: npusim $args differs from Lua" "$(diff "$T/cli" "$T/lua/$name" | head -5)"
    fi
done <"$T/cases"
finish
