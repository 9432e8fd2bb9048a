# Tests of the parameter tables/presets, the program container and the public API ("api").
npu_test(params_test ${CMAKE_SOURCE_DIR}/tests/unit/params_test.c LIBS npu_api)
npu_test(program_test ${CMAKE_SOURCE_DIR}/tests/unit/program_test.c LIBS npu_api)
