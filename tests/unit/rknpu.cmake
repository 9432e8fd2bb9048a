# The rknpu model (owner: rknpu): published figures, mechanisms by hand, bad programs.
npu_test(rknpu_test ${CMAKE_SOURCE_DIR}/tests/unit/rknpu_test.c LIBS npu_api npu_models npu_front npu_report npu_engine npu_isa npu_core)
# Speed: ResNet-50 per design point on rk3588 (prints figures; not a test).
add_executable(rknpu_bench ${CMAKE_SOURCE_DIR}/tests/bench/rknpu_bench.c)
target_link_libraries(rknpu_bench PRIVATE npu_api)
