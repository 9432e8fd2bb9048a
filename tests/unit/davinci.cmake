# The DaVinci model (owner: davinci).
npu_test(davinci_test ${CMAKE_SOURCE_DIR}/tests/unit/davinci_test.c LIBS npu_api npu_models npu_front npu_engine npu_isa npu_core)
add_executable(davinci_bench ${CMAKE_SOURCE_DIR}/tests/bench/davinci_bench.c)
target_link_libraries(davinci_bench PRIVATE npu_api)
