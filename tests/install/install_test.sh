#!/bin/sh
# install_test.sh — `cmake --install` of the build tree into a temporary prefix, then a consumer
# C program (tests/install/consumer.c) built against it with pkg-config only, as a project
# outside npusim would; its ResNet-50 total on rk3588 must be the CLI's.
#   install_test.sh BUILD_DIR SOURCE_DIR SANITIZE(ON|OFF)
set -u
B=$1 S=$2 SAN=${3:-OFF}
T=$(mktemp -d "${TMPDIR:-/tmp}/npusim_install.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
fail() { echo "FAIL $1"; exit 1; }
command -v pkg-config >/dev/null || fail "pkg-config not found (scripts/quickstart.sh installs it)"
cmake --install "$B" --prefix "$T/prefix" >"$T/install.log" 2>&1 || fail "cmake --install: $(tail -3 "$T/install.log")"
for f in bin/npusim include/npusim/npusim.h include/npusim/core/base.h lib/pkgconfig/npusim.pc; do
    [ -f "$T/prefix/$f" ] || fail "not installed: $f"
done
# the API is opaque: exactly the two public headers (the consumer below is built against them
# alone, so an include of an uninstalled header fails there)
hdrs=$(cd "$T/prefix/include/npusim" && find . -type f | sort | tr '\n' ' ')
[ "$hdrs" = "./core/base.h ./npusim.h " ] || fail "installed headers: $hdrs (want ./core/base.h ./npusim.h)"
ls "$T"/prefix/lib*/libnpusim.a >/dev/null 2>&1 || fail "not installed: libnpusim.a"
echo "ok   installed bin, library, the two public headers, npusim.pc"
export PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig"
flags=$(pkg-config --cflags --libs npusim) || fail "pkg-config --cflags --libs npusim"
san=
[ "$SAN" = ON ] && san="-fsanitize=address,undefined"
# shellcheck disable=SC2086 # flags are words
${CC:-cc} -std=c11 -Wall -Werror $san -o "$T/consumer" "$S/tests/install/consumer.c" $flags \
    2>"$T/cc.log" || fail "consumer does not build: $(head -5 "$T/cc.log")"
echo "ok   consumer built with: pkg-config --cflags --libs npusim"
"$T/consumer" rk3588 resnet50 >"$T/got" 2>"$T/err" || fail "consumer failed: $(cat "$T/err")"
"$T/prefix/bin/npusim" run -a rk3588 resnet50 >"$T/cli" 2>&1 || fail "installed npusim failed"
want=$(grep -oE '^[0-9]+ cycles = [0-9.]+ µs' "$T/cli")
got=$(cat "$T/got")
[ -n "$want" ] && [ "$got" = "$want" ] || fail "consumer says '$got', the CLI '$want'"
echo "ok   consumer total = CLI total: $got"
# The same consumer from a CMake project with find_package(npusim) (npusimConfig.cmake).
mkdir -p "$T/fp" && cp "$S/tests/install/consumer.c" "$T/fp/"
printf '%s\n' 'cmake_minimum_required(VERSION 3.20)' 'project(consumer LANGUAGES C)' \
    'find_package(npusim 0.1 REQUIRED)' 'add_executable(consumer consumer.c)' \
    'target_link_libraries(consumer PRIVATE npusim::npusim)' >"$T/fp/CMakeLists.txt"
cmake -S "$T/fp" -B "$T/fp/build" -DCMAKE_PREFIX_PATH="$T/prefix" -DCMAKE_C_FLAGS="$san" \
    >"$T/fp.log" 2>&1 && cmake --build "$T/fp/build" >>"$T/fp.log" 2>&1 ||
    fail "find_package(npusim) consumer: $(grep -m3 -i error "$T/fp.log")"
got=$("$T/fp/build/consumer" rk3588 resnet50 2>&1)
[ "$got" = "$want" ] || fail "find_package consumer says '$got', the CLI '$want'"
echo "ok   find_package(npusim) consumer total = CLI total: $got"
