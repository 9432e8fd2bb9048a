# Engine, host model and results (owner: engine).
npu_test(engine_test ${CMAKE_SOURCE_DIR}/tests/unit/engine_test.c LIBS npu_engine)
npu_test(host_test ${CMAKE_SOURCE_DIR}/tests/unit/host_test.c LIBS npu_engine)
npu_test(result_test ${CMAKE_SOURCE_DIR}/tests/unit/result_test.c LIBS npu_core)
