# The nvdla model (owner: nvdla).
npu_test(nvdla_test ${CMAKE_SOURCE_DIR}/tests/unit/nvdla_test.c LIBS npu_api npu_models npu_front npu_engine npu_isa npu_core)
# Speed of the nvdla model (prints figures; not a test): ResNet-50 per design point.
add_executable(nvdla_bench ${CMAKE_SOURCE_DIR}/tests/bench/nvdla_bench.c)
target_link_libraries(nvdla_bench PRIVATE npu_api)
