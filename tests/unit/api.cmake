# Tests of the parameter tables/presets, the program container and the public API ("api").
npu_test(params_test ${CMAKE_SOURCE_DIR}/tests/unit/params_test.c LIBS npu_api)
npu_test(program_test ${CMAKE_SOURCE_DIR}/tests/unit/program_test.c LIBS npu_api)
# The versioned model ops struct (models/model.h NPU_MODEL_ABI, models/registry.c wrappers).
npu_test(registry_test ${CMAKE_SOURCE_DIR}/tests/unit/registry_test.c LIBS npu_api)
