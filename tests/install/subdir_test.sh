#!/bin/sh
# subdir_test.sh — a consumer CMake project that pulls npusim in with add_subdirectory and links
# npu_api must configure (it failed with "No SOURCES given to target npu_isa": the globs used
# the consumer's CMAKE_SOURCE_DIR), build, and print the CLI's ResNet-50 rk3588 total.
#   subdir_test.sh SOURCE_DIR NPUSIM
set -u
S=$1 NPUSIM=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/npusim_subdir.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
cp "$S/tests/install/consumer.c" "$T/"
cat >"$T/CMakeLists.txt" <<EOT
cmake_minimum_required(VERSION 3.20)
project(consumer LANGUAGES C)
add_subdirectory("$S" npusim)
add_executable(consumer consumer.c)
target_link_libraries(consumer PRIVATE npu_api)
EOT
if cmake -S "$T" -B "$T/build" >"$T/log" 2>&1; then
    echo "ok   add_subdirectory(npusim) configures"
else
    echo "FAIL add_subdirectory(npusim): $(grep -m3 -i error "$T/log")"
    exit 1
fi
if ! cmake --build "$T/build" -j2 --target consumer >"$T/log" 2>&1; then
    echo "FAIL consumer build: $(grep -m3 -i error "$T/log")"
    exit 1
fi
got=$("$T/build/consumer" rk3588 resnet50)
want=$("$NPUSIM" run -a rk3588 resnet50 | grep -oE '^[0-9]+ cycles = [0-9.]+ µs')
if [ -n "$want" ] && [ "$got" = "$want" ]; then
    echo "ok   consumer built via add_subdirectory prints the CLI's total: $got"
else
    echo "FAIL consumer says '$got', the CLI '$want'"
    exit 1
fi
