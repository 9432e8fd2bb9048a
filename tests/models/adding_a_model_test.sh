#!/bin/sh
# adding_a_model_test.sh — the walk-through docs/models/adding-a-model.md, followed to the
# letter in a copy of the sources: every fenced block after a `<!-- step -->` line is run, in
# order, from the copy's top directory; then the copy is built (only the targets needed) and
# the conformance harness runs on the new model. A step that no longer works, or a place a new
# model must touch that the guide does not name, fails here.
#
# Env: NPU_SOURCE_DIR (the repository; ctest sets it). Needs cmake and a C compiler, as the
# build itself. Takes a minute or two (a fresh build of the libraries).
set -eu
src=${NPU_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
guide=$src/docs/models/adding-a-model.md
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$guide" ] || fail "no $guide"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/npu_addmodel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
# the sources only: no build trees, no .git
for e in CMakeLists.txt CMakePresets.json cmake docs isa models scripts sim tests traces; do
    [ -e "$src/$e" ] && cp -R "$src/$e" "$tmp/"
done
cd "$tmp"

awk '/^<!-- step -->$/ { want = 1; next }
     /^```/ { if (inb) { inb = 0; want = 0; print ""; next } if (want) { inb = 1; next } }
     inb { print }' "$guide" >steps.sh
nsteps=$(grep -c '^<!-- step -->$' "$guide")
[ "$nsteps" -ge 4 ] || fail "the guide has $nsteps step blocks, expected at least 4"
echo "running $nsteps steps of docs/models/adding-a-model.md:"
sed 's/^/  | /' steps.sh
sh -eu steps.sh || fail "a step of the guide failed (see above)"

# what the steps must have done
[ -f models/mymodel/mymodel.c ] || fail "no models/mymodel/mymodel.c after the steps"
[ -f models/presets/mymodel_edge.lua ] || fail "no models/presets/mymodel_edge.lua"
[ -f docs/models/mymodel.md ] || fail "no docs/models/mymodel.md"
if grep -rn example models/mymodel; then fail "'example' left in models/mymodel"; fi
grep -q '&npu_model_mymodel,' models/registry.c || fail "mymodel not in the registry table"

# build only what the checks need (the library, the harness, the command)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNPU_WERROR=ON >build.log 2>&1 ||
    { cat build.log; fail "cmake configure"; }
cmake --build build -j2 --target conformance npusim >>build.log 2>&1 ||
    { tail -40 build.log; fail "build of the copied tree with mymodel"; }

build/tests/conformance mymodel || fail "conformance on mymodel"
build/npusim list models | grep -q '^ *mymodel' || fail "npusim list models lacks mymodel"
# the changed parameter is the model's default now, and it changes the run
build/npusim params mymodel | grep -Eq '^rows +8 ' || fail "rows is not 8 in mymodel"
a=$(build/npusim run -a mymodel -f json lenet5 | grep '"total"')
b=$(build/npusim run -a example -f json lenet5 | grep '"total"')
[ -n "$a" ] || fail "no totals from npusim run -a mymodel"
echo "  mymodel: $a"; echo "  example: $b"
[ "$a" != "$b" ] || fail "mymodel (rows 8) runs exactly as example (rows 16)"
build/npusim run -a mymodel_edge resnet50 >/dev/null || fail "the new preset does not run"
echo "ok: the walk-through adds a working model"
