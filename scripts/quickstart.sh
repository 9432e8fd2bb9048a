#!/usr/bin/env bash
# quickstart.sh — everything a fresh Debian machine needs, in one command.
#   bash scripts/quickstart.sh        install what is missing, build, run the main job: the
#                                     shipped presets of every family side by side on ResNet-50
#   bash scripts/quickstart.sh test   install what is missing (clang too), build (normal and
#                                     ASan+UBSan), run the whole test suite on both builds, the
#                                     sweep tests under ThreadSanitizer (build-tsan/) where
#                                     available, then every libFuzzer target of tests/fuzz for
#                                     FUZZ_SECONDS (default 30) each from its seed corpus under
#                                     ASan+UBSan (docs/fuzzing.md)
#   FUZZ=0 bash scripts/quickstart.sh test
#                                     the same without the fuzzing (and without clang)
# Builds go to build/, build-asan/, build-tsan/ and build-fuzz/ beside this repository's sources.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-demo}

# Debian packages: compiler and build tools, the two libraries of the core, python3 (JSON
# checks in tests), ONNX's own test models (the ONNX importer is tested against them) and
# python3-onnx (its checker validates every ONNX file npusim writes); GNU parallel, slurm-wlm
# and munge: the sharded-sweep recipes of scripts/cluster/ are tested on them (ctest -R
# sweep_; Slurm and munge are ~13 MB installed, and the test starts its own daemons on free
# ports in a temporary directory: ~20 s).
pkgs=(gcc libc6-dev make cmake liblua5.4-dev zlib1g-dev pkg-config)
[ "$mode" = test ] && pkgs+=(python3 python3-onnx libonnx-testdata parallel slurm-wlm munge)
# Fuzzing needs clang and its runtime (libFuzzer, sanitizers): about 40 MB to download, 230 MB
# installed, and about five minutes of CI time (eight targets, 30 s each, plus their build).
# FUZZ=0 leaves it out; the corpora are replayed by ctest on gcc in every test run anyway
# (ctest -R fuzz_).
fuzz=${FUZZ:-1}
if [ "$mode" = test ] && [ "$fuzz" != 0 ]; then
    pkgs+=(clang)
    if command -v clang >/dev/null 2>&1; then
        v=$(clang -dumpversion | cut -d. -f1)
        pkgs+=("libclang-rt-$v-dev")
    fi
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "quickstart: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
build() { # dir, extra cmake args
    local dir=$1; shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNPU_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
}

# libFuzzer: every target for FUZZ_SECONDS from a copy of its corpus (new inputs go to
# build-fuzz/corpus/NAME, never into the repository), with its dictionary; a finding stops the
# run with the crashing input in build-fuzz/ (add it to tests/fuzz/crashes/NAME/ with the fix).
fuzz_all() {
    if ! command -v clang >/dev/null 2>&1; then # installed just now: its runtime is versioned
        echo "quickstart: FUZZ needs clang" >&2
        return 1
    fi
    v=$(clang -dumpversion | cut -d. -f1)
    dpkg -s "libclang-rt-$v-dev" >/dev/null 2>&1 || {
        sudo=""
        [ "$(id -u)" -ne 0 ] && sudo=sudo
        $sudo apt-get install -y -qq --no-install-recommends "libclang-rt-$v-dev" >/dev/null
    }
    local targets=(onnx npg scalesim npuc params lua run luaapi)
    cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNPU_WERROR=ON \
        -DCMAKE_C_COMPILER=clang -DNPU_SANITIZE=ON -DNPU_FUZZ=ON >/dev/null
    cmake --build build-fuzz -j"$jobs" --target "${targets[@]/%/_fuzz}"
    local secs=${FUZZ_SECONDS:-30}
    declare -A seeds=([params]=../models/presets [lua]=../scripts/zoo)
    for t in "${targets[@]}"; do
        mkdir -p "build-fuzz/corpus/$t"
        echo "== fuzz $t for ${secs}s"
        # shellcheck disable=SC2086 # no seeds: no word
        (cd build-fuzz && "./tests/${t}_fuzz" -max_total_time="$secs" -timeout=25 \
            -rss_limit_mb=2560 -dict="../tests/fuzz/$t.dict" -print_final_stats=1 \
            "corpus/$t" "../tests/fuzz/corpus/$t" ${seeds[$t]:-} 2>"fuzz-$t.log") ||
            { tail -40 "build-fuzz/fuzz-$t.log"; return 1; }
        grep -E "stat::number_of_executed_units|cov:" "build-fuzz/fuzz-$t.log" | tail -2
    done
}

case "$mode" in
demo)
    build build
    # One or two presets of each family, so the table fits a terminal; `npusim list archs`
    # names them all.
    archs=nv_small,nv_large,rk3566,rk3588,hi3519dv500,ascend310,tpu_v1
    echo "== build/npusim compare -a $archs resnet50"
    ./build/npusim compare -a "$archs" resnet50
    ;;
test)
    build build
    build build-asan -DNPU_SANITIZE=ON
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ctest --test-dir build --output-on-failure -j"$jobs"
    ctest --test-dir build-asan --output-on-failure -j"$jobs"
    # ThreadSanitizer on the sweep thread pool, where the compiler has it: only the driver the
    # sweep tests need (npu_lua_run), unoptimised (compiles fastest), and only the tests
    # labelled tsan.
    if printf 'int main(void){return 0;}\n' >build/tsan_probe.c &&
        cc -fsanitize=thread build/tsan_probe.c -o build/tsan_probe 2>/dev/null &&
        ./build/tsan_probe; then
        cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DNPU_WERROR=ON -DNPU_TSAN=ON >/dev/null
        cmake --build build-tsan -j"$jobs" --target npu_lua_run
        ctest --test-dir build-tsan --output-on-failure -L tsan
    else
        echo "quickstart: no ThreadSanitizer in this compiler: the tsan tests are skipped"
    fi
    if [ "$fuzz" != 0 ]; then fuzz_all; fi
    ;;
*)
    echo "usage: bash scripts/quickstart.sh [test]" >&2
    exit 2
    ;;
esac
