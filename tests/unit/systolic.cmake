# The systolic model and the SCALE-Sim front end (owner: systolic).
npu_test(scalesim_test ${CMAKE_SOURCE_DIR}/tests/unit/scalesim_test.c LIBS npu_front npu_core)
npu_test(systolic_test ${CMAKE_SOURCE_DIR}/tests/unit/systolic_test.c LIBS npu_api npu_models npu_front npu_engine npu_isa npu_core)
