# Engine, host model and results (owner: engine).
npu_test(engine_test ${CMAKE_SOURCE_DIR}/tests/unit/engine_test.c LIBS npu_engine)
npu_test(host_test ${CMAKE_SOURCE_DIR}/tests/unit/host_test.c LIBS npu_engine)
npu_test(result_test ${CMAKE_SOURCE_DIR}/tests/unit/result_test.c LIBS npu_core)
# Speed, not pass/fail: a synthetic 100-layer pipeline; prints jobs/s.
add_executable(engine_bench ${CMAKE_SOURCE_DIR}/tests/bench/engine_bench.c)
target_include_directories(engine_bench PRIVATE ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(engine_bench PRIVATE npu_engine)
