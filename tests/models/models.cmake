# The conformance harness: one program, every registered model and built-in preset.
npu_test(conformance ${CMAKE_SOURCE_DIR}/tests/models/conformance.c LIBS npu_api)
