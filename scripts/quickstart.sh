#!/usr/bin/env bash
# quickstart.sh — everything a fresh Debian machine needs, in one command.
#   bash scripts/quickstart.sh        install what is missing, build, run the main job: the
#                                     shipped presets of every family side by side on ResNet-50
#   bash scripts/quickstart.sh test   install what is missing, build (normal and ASan+UBSan),
#                                     run the whole test suite on both builds, and the sweep
#                                     tests under ThreadSanitizer (build-tsan/) where available
# Builds go to build/, build-asan/ and build-tsan/ beside this repository's sources.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-demo}

# Debian packages: compiler and build tools, the two libraries of the core, python3 (JSON
# checks in tests), ONNX's own test models (the ONNX importer is tested against them) and
# python3-onnx (its checker validates every ONNX file npusim writes).
pkgs=(gcc libc6-dev make cmake liblua5.4-dev zlib1g-dev pkg-config)
[ "$mode" = test ] && pkgs+=(python3 python3-onnx libonnx-testdata)
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
    ;;
*)
    echo "usage: bash scripts/quickstart.sh [test]" >&2
    exit 2
    ;;
esac
