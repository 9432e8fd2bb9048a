# Benchmarks: programs that print figures (never pass/fail tests).
add_executable(run_bench ${CMAKE_SOURCE_DIR}/tests/bench/run_bench.c)
target_link_libraries(run_bench PRIVATE npu_api)
add_executable(scale_bench ${CMAKE_SOURCE_DIR}/tests/bench/scale_bench.c)
target_link_libraries(scale_bench PRIVATE npu_api m)
