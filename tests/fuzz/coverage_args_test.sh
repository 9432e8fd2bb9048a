#!/bin/sh
# coverage_args_test.sh SOURCE_DIR — the argument errors of scripts/fuzz_coverage.sh (a campaign
# tool, never run by the suite): each must stop it, exit 2 and say why, before it builds anything.
# PATH holds only dirname, so a refusal that did not happen ends at "clang not found" instead of
# a build, and fails the test by its message.
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin" "$tmp/campaign"
ln -s "$(command -v dirname)" "$tmp/bin/dirname"
ln -s "$src/tests" "$tmp/link-into-repo"
bash=$(command -v bash)
fail=0
expect() { # expect WHAT ARGS...: exit 2 and WHAT on stderr
    what=$1
    shift
    PATH=$tmp/bin "$bash" "$src/scripts/fuzz_coverage.sh" "$@" >/dev/null 2>"$tmp/err"
    rc=$?
    if [ $rc -ne 2 ] || ! grep -q "$what" "$tmp/err"; then
        echo "FAIL: fuzz_coverage.sh $* -> exit $rc, wanted 2 and '$what':"
        cat "$tmp/err"
        fail=1
    fi
}
expect "usage: fuzz_coverage.sh" "$tmp/campaign" out.md extra
expect "is not a directory" "$tmp/missing"
expect "inside the repository" "$src/tests"
expect "inside the repository" "$tmp/link-into-repo"
expect "inside the repository" "$src"
(cd "$src/tests" && expect "inside the repository" fuzz && exit $fail) || fail=1 # relative DIR
expect "clang not found" "$tmp/campaign" # a good DIR gets as far as the tools
[ $fail -eq 0 ] && echo "fuzz_coverage.sh: argument errors ok"
exit $fail
