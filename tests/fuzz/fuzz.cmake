# Fuzz targets (owner: fuzz; how to run them and the last campaign: docs/fuzzing.md). One per
# parser: onnx, npg, scalesim (CSV), npuc (load, check, disasm, exec), params (--set values and
# preset files), lua (the builder API); run, what follows them: an accepted graph lowered
# and run on one preset per model family; and luaapi, the whole `npusim` Lua module (run,
# sweep, compare, the writers) in the sandbox of `npusim script --sandbox`, within budgets.
# Each target is tests/fuzz/<name>_fuzz.c with a seed corpus tests/fuzz/corpus/<name>/, a
# dictionary tests/fuzz/<name>.dict and, once a campaign found something, its reproducers in
# tests/fuzz/crashes/<name>/.
#
# Every build (gcc or clang, plain or ASan/UBSan): a target links tests/fuzz/replay.c as its
# main() and ctest fuzz_<name> runs it once over its corpus and its reproducers, so that every
# input that ever crashed stays a regression test under the sanitizers of the suite.
# With -DNPU_FUZZ=ON (clang only): every npu_* library carries libFuzzer's coverage
# instrumentation and the targets link libFuzzer's own main() instead (ctest then replays with
# -runs=0). scripts/quickstart.sh builds that variant in build-fuzz/ when FUZZ is set.
option(NPU_FUZZ "Build tests/fuzz targets with libFuzzer (clang)" OFF)
if(NPU_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES Clang)
    message(FATAL_ERROR "NPU_FUZZ needs clang (libFuzzer): -DCMAKE_C_COMPILER=clang")
  endif()
  # every npu_* library (npu_lib records them): a list written here missed npu_script, so the
  # lua and params targets ran blind to the builder and the preset reader they are about
  get_property(libs GLOBAL PROPERTY NPU_LIBS)
  foreach(lib ${libs})
    target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link)
  endforeach()
endif()

# npu_fuzz(NAME [SEEDS dir...]): SEEDS are more seed directories of the repository replayed
# with the corpus (the shipped presets, the zoo scripts: seeds that stay in step with them).
function(npu_fuzz name)
  cmake_parse_arguments(A "" "" "SEEDS" ${ARGN})
  set(dir ${CMAKE_SOURCE_DIR}/tests/fuzz)
  if(NPU_FUZZ)
    add_executable(${name}_fuzz ${dir}/${name}_fuzz.c)
    target_compile_options(${name}_fuzz PRIVATE -fsanitize=fuzzer)
    target_link_options(${name}_fuzz PRIVATE -fsanitize=fuzzer)
    set(runs -runs=0)
  else()
    add_executable(${name}_fuzz ${dir}/${name}_fuzz.c ${dir}/replay.c)
    set(runs)
  endif()
  target_include_directories(${name}_fuzz PRIVATE ${dir})
  target_link_libraries(${name}_fuzz PRIVATE npu_api)
  set(inputs ${dir}/corpus/${name})
  foreach(d ${A_SEEDS})
    list(APPEND inputs ${CMAKE_SOURCE_DIR}/${d})
  endforeach()
  if(EXISTS ${dir}/crashes/${name})
    list(APPEND inputs ${dir}/crashes/${name})
  endif()
  add_test(NAME fuzz_${name} COMMAND ${name}_fuzz ${runs} ${inputs} WORKING_DIRECTORY ${dir})
  set_tests_properties(fuzz_${name} PROPERTIES LABELS fast)
endfunction()

foreach(t onnx npg scalesim npuc run luaapi)
  npu_fuzz(${t})
endforeach()
npu_fuzz(params SEEDS models/presets)
npu_fuzz(lua SEEDS scripts/zoo)

# scripts/fuzz_coverage.sh, the per-file coverage of the campaign corpora, is a campaign tool
# (docs/fuzzing.md): the suite checks only that it refuses bad arguments, without building.
add_test(NAME fuzz_coverage_args COMMAND sh ${CMAKE_SOURCE_DIR}/tests/fuzz/coverage_args_test.sh
         ${CMAKE_SOURCE_DIR})
set_tests_properties(fuzz_coverage_args PROPERTIES LABELS fast)
