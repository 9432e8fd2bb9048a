# The teaching model `example` (models/example/; docs/models/example.md).
npu_test(example_test ${CMAKE_SOURCE_DIR}/tests/unit/example_test.c LIBS npu_api)
