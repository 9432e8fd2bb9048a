# Several workloads at once on one engine (sim/workload.c, engine scopes; issue 18).
npu_test(workload_test ${CMAKE_SOURCE_DIR}/tests/unit/workload_test.c LIBS npu_api)
