# Several workloads at once on one engine (sim/workload.c, engine scopes; issue 18).
npu_test(workload_test ${CMAKE_SOURCE_DIR}/tests/unit/workload_test.c LIBS npu_api)
# The same from the command line and from Lua.
add_test(NAME workload_cli COMMAND sh ${CMAKE_SOURCE_DIR}/tests/cli/workload_test.sh
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(workload_cli PROPERTIES LABELS fast ENVIRONMENT "NPUSIM=$<TARGET_FILE:npusim>")
add_test(NAME workload_lua COMMAND $<TARGET_FILE:npusim> script tests/lua/workload_test.lua
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(workload_lua PROPERTIES LABELS fast)
# A multi-chip card (atlas300i): chips, their own DRAM, the shared host link.
npu_test(card_test ${CMAKE_SOURCE_DIR}/tests/unit/card_test.c LIBS npu_api)
# Layer pipelining across cores or chips (pipeline=N: sim/wlpipe.c).
npu_test(pipeline_test ${CMAKE_SOURCE_DIR}/tests/unit/pipeline_test.c LIBS npu_api)
