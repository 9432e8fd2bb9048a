# The npusim Lua module (sim/lua): a C test of lua.h and Lua test scripts run through
# npu_lua_run_file by a small driver (the same code path as `npusim script`, without the CLI).
npu_test(lua_api_test ${CMAKE_SOURCE_DIR}/tests/lua/lua_api_test.c LIBS npu_api)

add_executable(npu_lua_run ${CMAKE_SOURCE_DIR}/tests/lua/lua_run.c)
target_link_libraries(npu_lua_run PRIVATE npu_api)

function(npu_lua_test name script)
  add_test(NAME ${name} COMMAND npu_lua_run ${script} ${ARGN}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES LABELS fast
    ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPU_SHARED_DIR=${CMAKE_SOURCE_DIR}/../shared;NPUSIM=$<TARGET_FILE:npusim>")
endfunction()

npu_lua_test(lua_builder tests/lua/builder_test.lua)
npu_lua_test(lua_sandbox tests/lua/sandbox_test.lua first second)
npu_lua_test(lua_run tests/lua/run_test.lua)
# The sweeps of run_test.lua (threads = 1 and 2, keep_layers) are also the ThreadSanitizer
# test: a build with -DNPU_TSAN=ON, `cmake --build --target npu_lua_run`, `ctest -L tsan`.
set_tests_properties(lua_run PROPERTIES LABELS "fast;tsan")
npu_lua_test(lua_builder_fuzz tests/lua/builder_fuzz_test.lua)
npu_lua_test(lua_hostile tests/lua/hostile_test.lua)
npu_lua_test(lua_energy tests/lua/energy_test.lua)

# Speed, not pass/fail: build/<dir>/tests/npu_lua_run tests/bench/sweep_bench.lua

# Ctrl-C during a sweep under `npusim script`: one SIGINT stops the sweep (exit 1), a second
# ends the process at once (issue 16).
add_test(NAME lua_sigint COMMAND sh ${CMAKE_SOURCE_DIR}/tests/lua/sigint_test.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(lua_sigint PROPERTIES LABELS fast
  ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPUSIM=$<TARGET_FILE:npusim>")

# `npusim script --sandbox`: files only in the script's directory and --allow-path, no
# environment, an instruction budget (issue 16). The labs run under it too (labs.cmake).
add_test(NAME lua_file_sandbox COMMAND sh ${CMAKE_SOURCE_DIR}/tests/lua/file_sandbox_test.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(lua_file_sandbox PROPERTIES LABELS fast
  ENVIRONMENT "NPU_SOURCE_DIR=${CMAKE_SOURCE_DIR};NPUSIM=$<TARGET_FILE:npusim>")

# The CLI and the Lua API write the same bytes for the same run: npusim.report in every format
# (summaries, -q), write_json and write_csv of results, several archs and networks (issue 15).
add_test(NAME lua_report_parity COMMAND sh ${CMAKE_SOURCE_DIR}/tests/lua/report_parity_test.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(lua_report_parity PROPERTIES LABELS fast
  ENVIRONMENT "NPUSIM=$<TARGET_FILE:npusim>")
